// `podman info` is the slowest read a check makes (it sets up storage), so it runs at most once
// per user per run, on first use, and every check that needs it shares the answer.
import type { CommandResult, Host, UserInfo } from "../host/types.js";
import { within } from "./runner.js";

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

/** A row of `podman ps -a --format json`, as far as the checks read it. */
export type PodmanPsRow = {
  Id?: unknown;
  Names?: unknown;
  Status?: unknown;
  Labels?: unknown;
  Created?: unknown;
};

/** The label on the canary's containers (checks/canary.ts). */
export const CANARY_LABEL_KEY = "io.podlift.canary";

/** One container of `podman container inspect`, as far as the checks read it. */
export type PodmanInspected = {
  Name?: unknown;
  HostConfig?: { RestartPolicy?: { Name?: unknown } };
  Config?: { Labels?: Record<string, string> | null; Healthcheck?: { Test?: unknown } };
};

export type PodmanContainersResult =
  | {
      ok: true;
      /** The workload's containers: the canary's own are in `canary`. */
      rows: PodmanPsRow[];
      /** The containers labelled as the canary's (this run's, another's, or left by a killed one). */
      canary: { name: string; createdAt: number | null }[];
      /** Every listed container inspected, or null with why (the rows alone stand then). */
      inspected: PodmanInspected[] | null;
      inspectError?: string;
    }
  | { ok: false; why: string; notFound: boolean };

/** At most this many containers are inspected (one command line). */
export const MAX_INSPECTED = 200;

export interface PodmanFacts {
  /**
   * Podman's version: from the `podman info` already asked for when it answers, else from
   * `podman --version`; null when podman is not installed. Throws when that hangs or crashes.
   */
  version(): Promise<string | null>;
  /** `podman info` as root (rootful) or as the given user (rootless). */
  info(user: UserInfo): Promise<PodmanInfoResult>;
  /**
   * The user's containers: one `podman ps -a` and one `podman container inspect` of them all,
   * shared by every check that looks at containers (each podman command costs a process start
   * and the store's lock).
   */
  containers(user: UserInfo): Promise<PodmanContainersResult>;
}

export function podmanFacts(host: Host): PodmanFacts {
  let version: Promise<string | null> | undefined;
  const infos = new Map<string, Promise<PodmanInfoResult>>();
  const containers = new Map<string, Promise<PodmanContainersResult>>();
  return {
    version() {
      version ??= versionFromInfo(infos.values().next().value).then((known) =>
        known !== undefined ? known : versionCommand(host),
      );
      return version;
    },
    info: (user) => once(infos, user, () => loadInfo(host, user)),
    containers: (user) => once(containers, user, () => loadContainers(host, user)),
  };
}

/** How long version() waits on a `podman info` already asked for before it asks `podman --version`. */
export const VERSION_FROM_INFO_WAIT_MS = 2500;

/**
 * The version `podman info` gave (the first one asked for: the target's), or undefined: no info
 * asked for yet, a failed or unparsable one, or none within VERSION_FROM_INFO_WAIT_MS. It is the
 * same program: a doctor run so starts one podman process fewer (~25 ms of CPU that competes with
 * `podman info` on a small machine, issue 14).
 */
async function versionFromInfo(pending: Promise<PodmanInfoResult> | undefined): Promise<string | undefined> {
  if (pending === undefined) return undefined;
  const r = await within(pending, VERSION_FROM_INFO_WAIT_MS, "podman info").catch(() => undefined);
  const found = r?.ok ? r.info.version?.Version : undefined;
  return typeof found === "string" && /^\d+\.\d+/.test(found) ? found : undefined;
}

/** `podman --version`, parsed; null when podman is not installed. Throws when it hangs or crashes. */
async function versionCommand(host: Host): Promise<string | null> {
  const r = await host.run(["podman", "--version"], { timeoutMs: 3000 });
  if (r.notFound) return null;
  if (r.timedOut) throw new Error("`podman --version` did not answer within 3000 ms");
  const found = /version\s+(\S+)/.exec(r.stdout)?.[1];
  if (r.exitCode !== 0 || found === undefined) {
    throw new Error(`\`podman --version\` failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`);
  }
  return found;
}

/** One answer per user: the first caller starts the load, every later one shares it. */
function once<T>(cache: Map<string, Promise<T>>, user: UserInfo, load: () => Promise<T>): Promise<T> {
  let pending = cache.get(user.name);
  if (pending === undefined) {
    pending = load();
    cache.set(user.name, pending);
  }
  return pending;
}

async function loadContainers(host: Host, user: UserInfo): Promise<PodmanContainersResult> {
  const asOther = user.name !== host.currentUser().name;
  const options = {
    user: asOther ? user.name : undefined,
    env: await userEnv(host, user),
  };
  const ps = await host.run(["podman", "ps", "-a", "--format", "json"], { timeoutMs: 10000, ...options });
  if (ps.exitCode !== 0) {
    const why = ps.notFound
      ? "podman is not installed"
      : ps.timedOut
        ? "podman ps did not answer within 10 s"
        : `podman ps exited ${ps.exitCode}`;
    return { ok: false, why, notFound: ps.notFound === true };
  }
  let rows: PodmanPsRow[];
  try {
    const parsed = JSON.parse(ps.stdout || "[]") as unknown;
    if (!Array.isArray(parsed)) throw new Error("not a list");
    rows = parsed as PodmanPsRow[];
  } catch {
    return { ok: false, why: "podman ps printed no JSON list", notFound: false };
  }
  // The canary's own containers (a doctor run's, maybe this one's) are nobody's workload.
  const isCanary = (r: PodmanPsRow) =>
    r.Labels !== null && typeof r.Labels === "object" && CANARY_LABEL_KEY in r.Labels;
  const canary = rows.filter(isCanary).map((r) => ({
    name: String((Array.isArray(r.Names) ? r.Names[0] : r.Names) ?? r.Id),
    createdAt: typeof r.Created === "number" ? r.Created : null,
  }));
  rows = rows.filter((r) => !isCanary(r));
  const ids = rows
    .map((r) => String(r.Id ?? ""))
    .filter((id) => /^[0-9a-f]{12,64}$/.test(id))
    .slice(0, MAX_INSPECTED);
  if (ids.length === 0) return { ok: true, rows, canary, inspected: [] };
  const r = await host.run(["podman", "container", "inspect", ...ids], { timeoutMs: 15000, ...options });
  try {
    if (r.exitCode !== 0) throw new Error(`exited ${r.timedOut ? "(timed out)" : r.exitCode}`);
    const parsed = JSON.parse(r.stdout) as unknown;
    if (!Array.isArray(parsed)) throw new Error("not a list");
    return { ok: true, rows, canary, inspected: parsed as PodmanInspected[] };
  } catch (error) {
    return {
      ok: true,
      rows,
      canary,
      inspected: null,
      inspectError: `podman container inspect: ${(error as Error).message}`,
    };
  }
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
