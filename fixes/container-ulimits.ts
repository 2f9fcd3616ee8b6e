// When the canary fails with "error setting rlimit", Podman's default ulimits (nofile 1048576)
// are above what the runtime may set on this host. A containers.conf drop-in sets defaults the
// host allows. Seen on this project's CI machine, where root lacks CAP_SYS_RESOURCE and conmon
// runs with at most 32768 processes.
// https://github.com/containers/common/blob/main/docs/containers.conf.5.md (default_ulimits)
import type { Fix } from "../src/fix/types.js";

export const DROP_IN = "/etc/containers/containers.conf.d/90-podlift-ulimits.conf";
// conmon's own process limit on hosts like this one; a container cannot get more than its parent.
const NPROC_CEILING = 32768;

export const fix: Fix = {
  id: "container-ulimits",
  title: "Default container ulimits the host allows",
  addresses: ["canary.failed"],
  risk: "safe",
  async plan({ host }, findings) {
    if (!findings.some((f) => f.evidence?.cause === "rlimit"))
      return "the canary failed for another cause than ulimits";
    const limits = await host.readFile("/proc/self/limits");
    const hard = (name: string) => {
      const m = new RegExp(`^${name}\\s+\\S+\\s+(\\d+|unlimited)`, "m").exec(limits ?? "");
      return m?.[1] === undefined || m[1] === "unlimited" ? null : Number(m[1]);
    };
    const nofile = Math.min(hard("Max open files") ?? 1048576, 1048576);
    const nproc = Math.min(hard("Max processes") ?? NPROC_CEILING, NPROC_CEILING);
    return {
      summary: `Containers start with nofile=${nofile} and nproc=${nproc} (this host's hard limits) instead of Podman's 1048576.`,
      changes: [
        {
          kind: "write-file",
          path: DROP_IN,
          before: await host.readFile(DROP_IN),
          after: `# Written by podlift fix: ulimits this host allows.\n[containers]\ndefault_ulimits = [\n  "nofile=${nofile}:${nofile}",\n  "nproc=${nproc}:${nproc}",\n]\n`,
          mode: 0o644,
          why: "set default ulimits in a containers.conf drop-in",
        },
      ],
      notes: ["A container can still ask for more with --ulimit; it then fails the same way."],
    };
  },
};
