// The resource limits a container may get on this host: Podman's defaults (nofile and nproc
// 1048576/4194304) fail with "error setting rlimit" where the runtime cannot raise its own hard
// limits (no CAP_SYS_RESOURCE). Read from /proc/self/limits; shared by the canary, which tries
// them, and the container-ulimits fix, which writes them.
import type { Host } from "./types.js";

/** conmon's own process limit on hosts like the CI machine; a container cannot get more than its parent. */
export const NPROC_CEILING = 32768;
const PODMAN_NOFILE = 1048576;

export async function allowedUlimits(host: Host): Promise<{ nofile: number; nproc: number }> {
  const limits = await host.readFile("/proc/self/limits").catch(() => null);
  const hard = (name: string) => {
    const m = new RegExp(`^${name}\\s+\\S+\\s+(\\d+|unlimited)`, "m").exec(limits ?? "");
    return m?.[1] === undefined || m[1] === "unlimited" ? null : Number(m[1]);
  };
  return {
    nofile: Math.min(hard("Max open files") ?? PODMAN_NOFILE, PODMAN_NOFILE),
    nproc: Math.min(hard("Max processes") ?? NPROC_CEILING, NPROC_CEILING),
  };
}
