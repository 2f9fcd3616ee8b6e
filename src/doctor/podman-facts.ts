// `podman info` is the slowest read a check makes (it sets up storage), so it runs at most once
// per user per run, on first use, and every check that needs it shares the answer.
import type { CommandResult, Host, UserInfo } from "../host/types.js";

export const PODMAN_INFO_TIMEOUT_MS = 6000;

export type PodmanInfo = {
  host?: Record<string, unknown> & {
    cgroupVersion?: string;
    cgroupManager?: string;
    cgroupControllers?: string[];
    networkBackend?: string;
    ociRuntime?: { name?: string; path?: string; version?: string };
    security?: { rootless?: boolean; selinuxEnabled?: boolean; apparmorEnabled?: boolean };
    slirp4netns?: { executable?: string; version?: string };
    pasta?: { executable?: string; version?: string };
    idMappings?: { uidmap?: unknown[] | null; gidmap?: unknown[] | null };
    remoteSocket?: { path?: string; exists?: boolean };
  };
  store?: {
    graphDriverName?: string;
    graphRoot?: string;
    runRoot?: string;
    graphStatus?: Record<string, string>;
    configFile?: string;
  };
  version?: { Version?: string; APIVersion?: string };
  registries?: Record<string, unknown>;
};

export type PodmanInfoResult =
  | { ok: true; info: PodmanInfo; command: CommandResult }
  | { ok: false; reason: "not-installed" | "failed" | "unparsable"; command: CommandResult };

export interface PodmanFacts {
  /** `podman --version`, parsed; null when podman is not installed. Throws when it hangs or crashes. */
  version(): Promise<string | null>;
  /** `podman info` as root (rootful) or as the given user (rootless). */
  info(user: UserInfo): Promise<PodmanInfoResult>;
}

export function podmanFacts(host: Host): PodmanFacts {
  let version: Promise<string | null> | undefined;
  const infos = new Map<string, Promise<PodmanInfoResult>>();
  return {
    version() {
      version ??= host.run(["podman", "--version"], { timeoutMs: 3000 }).then((r) => {
        if (r.notFound) return null;
        if (r.timedOut) throw new Error("`podman --version` did not answer within 3000 ms");
        const found = /version\s+(\S+)/.exec(r.stdout)?.[1];
        if (r.exitCode !== 0 || found === undefined) {
          throw new Error(
            `\`podman --version\` failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`,
          );
        }
        return found;
      });
      return version;
    },
    info(user) {
      let pending = infos.get(user.name);
      if (pending === undefined) {
        pending = loadInfo(host, user);
        infos.set(user.name, pending);
      }
      return pending;
    },
  };
}

export async function userEnv(host: Host, user: UserInfo): Promise<Record<string, string> | undefined> {
  if (user.name === host.currentUser().name) return undefined;
  const runtimeDir = `/run/user/${user.uid}`;
  const info = await host.stat(runtimeDir);
  return info?.type === "dir" && info.uid === user.uid ? { XDG_RUNTIME_DIR: runtimeDir } : undefined;
}

async function loadInfo(host: Host, user: UserInfo): Promise<PodmanInfoResult> {
  const asOther = user.name !== host.currentUser().name;
  const command = await host.run(["podman", "info", "--format", "json"], {
    timeoutMs: PODMAN_INFO_TIMEOUT_MS,
    user: asOther ? user.name : undefined,
    env: await userEnv(host, user),
  });
  if (command.notFound) return { ok: false, reason: "not-installed", command };
  if (command.exitCode !== 0) return { ok: false, reason: "failed", command };
  try {
    return { ok: true, info: JSON.parse(command.stdout) as PodmanInfo, command };
  } catch {
    return { ok: false, reason: "unparsable", command };
  }
}
