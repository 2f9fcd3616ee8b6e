// Facts are gathered once per run and handed to every check, so checks never look up the OS,
// the kernel or the target user themselves.
import type { ComposeInfo } from "../compose.js";
import type { Host, UserInfo } from "../host/types.js";
import { lookupUser } from "../host/users.js";
import { podmanFacts } from "./podman-facts.js";
import type { Facts, OsRelease } from "./types.js";

export class UsageError extends Error {}

export interface FactOptions {
  user?: string;
  ports?: number[];
  compose?: ComposeInfo | null;
}

export async function gatherFacts(host: Host, options: FactOptions = {}): Promise<Facts> {
  const me = host.currentUser();
  const sudoUser = me.uid === 0 ? host.env("SUDO_USER") : undefined;
  const [osText, kernel, target, virtualization] = await Promise.all([
    host.readFile("/etc/os-release").then((t) => t ?? host.readFile("/usr/lib/os-release")),
    host.readFile("/proc/sys/kernel/osrelease"),
    resolveTarget(host, me, options.user ?? sudoUser),
    detectVirtualization(host),
  ]);
  const compose = options.compose ?? null;
  const ports = [
    ...new Set([...(options.ports ?? []), ...(compose?.ports.map((p) => p.hostPort) ?? [])]),
  ].sort((a, b) => a - b);
  return {
    platform: host.isLive ? process.platform : "linux",
    os: osText === null ? null : parseOsRelease(osText),
    kernel: kernel?.trim() ?? null,
    arch: process.arch,
    virtualization,
    runningAsRoot: me.uid === 0,
    targetUser: target,
    targetUserSource: options.user ? "flag" : sudoUser ? "sudo" : "current",
    rootful: target.uid === 0,
    ports,
    compose,
    podman: podmanFacts(host),
  };
}

async function resolveTarget(host: Host, me: UserInfo, name: string | undefined): Promise<UserInfo> {
  if (name === undefined || name === me.name) return me;
  const user = await lookupUser(host, name);
  if (user === null) throw new UsageError(`unknown user "${name}" (not in /etc/passwd nor known to NSS)`);
  return user;
}

export function parseOsRelease(text: string): OsRelease {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) values[m[1] as string] = (m[2] as string).replace(/^(["'])(.*)\1$/, "$2");
  }
  return {
    id: values.ID ?? "linux",
    idLike: (values.ID_LIKE ?? "").split(/\s+/).filter(Boolean),
    versionId: values.VERSION_ID ?? "",
    prettyName: values.PRETTY_NAME ?? values.NAME ?? "Linux",
  };
}

// systeminformation knows the hypervisor on a live host; a fixture or mounted root has none.
async function detectVirtualization(host: Host): Promise<string | null> {
  if (!host.isLive || process.platform !== "linux") return null;
  try {
    const si = await import("systeminformation");
    const system = await si.system();
    if (!system.virtual) return (await host.stat("/.dockerenv")) ? "docker" : null;
    return system.virtualHost || "virtual machine";
  } catch {
    return null;
  }
}
