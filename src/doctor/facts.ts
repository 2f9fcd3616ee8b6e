// Facts are gathered once per run and handed to every check, so checks never look up the OS,
// the kernel or the target user themselves.

import type { ComposeInfo } from "../compose/info.js";
import { UsageError } from "../errors.js";
import { UnreadableFileError } from "../host/safe-read.js";
import type { Host, UserInfo } from "../host/types.js";
import { lookupUser } from "../host/users.js";
import { safeLine } from "../text/safe-text.js";
import { hostProbes } from "./host-probes.js";
import { type PodmanFacts, podmanFacts } from "./podman-facts.js";
import { within } from "./runner.js";
import type { Facts, OsRelease } from "./types.js";

export interface FactOptions {
  user?: string;
  /** The name the report gives the host (--host-name), instead of the one podlift reads. */
  hostname?: string;
  /** Podman's facts when they were started before gathering (startPodmanEarly). */
  podman?: PodmanFacts;
  ports?: number[];
  compose?: ComposeInfo | null;
}

/**
 * The user a run targets (--user, else SUDO_USER when root, else who runs podlift), looked up
 * before the facts are gathered; null when unknown (gatherFacts then reports it).
 */
export async function earlyTarget(host: Host, userName?: string): Promise<UserInfo | null> {
  const me = host.currentUser();
  const name = userName ?? (me.uid === 0 ? host.env("SUDO_USER") : undefined);
  return name === undefined || name === me.name ? me : await lookupUser(host, name).catch(() => null);
}

/**
 * Podman's facts with the target user's `podman info` already started (and version() waiting on it):
 * for a doctor run, before the checks and the rest of podlift load (podman info is the slowest
 * read of a run). Hand the result to gatherFacts as `podman`. An unknown user starts nothing.
 */
export function startPodmanEarly(host: Host, user: UserInfo | null): PodmanFacts {
  const podman = podmanFacts(host);
  // info first: version() then reads the version from it instead of running `podman --version`.
  if (user) {
    podman.info(user).catch(() => {});
    podman.version().catch(() => {});
  }
  return podman;
}

/**
 * Gathers the facts every check gets. A host file that cannot be read (a folder or FIFO where
 * os-release belongs, a symlink loop, no permission) never stops the run: it is recorded in
 * `problems` and the `host-files` check reports it, so a report is always written.
 */
export async function gatherFacts(host: Host, options: FactOptions = {}): Promise<Facts> {
  const me = host.currentUser();
  const sudoUser = me.uid === 0 ? host.env("SUDO_USER") : undefined;
  const problems: FactProblem[] = [];
  const read = async (p: string, fact: string): Promise<string | null> => {
    try {
      return await host.readFile(p);
    } catch (error) {
      problems.push(asProblem(p, fact, error));
      return null;
    }
  };
  const podman = options.podman ?? podmanFacts(host);
  // Started now and awaited only by the report (runDoctor): no check reads it.
  const virtualization = within(detectVirtualization(host), 3000, "virtualization").catch(() => null);
  const [osText, kernel, target, hostname] = await Promise.all([
    read("/etc/os-release", "os").then((t) => t ?? read("/usr/lib/os-release", "os")),
    read("/proc/sys/kernel/osrelease", "kernel"),
    read("/etc/passwd", "users").then(() => resolveTarget(host, me, options.user ?? sudoUser, problems)),
    options.hostname ? Promise.resolve(options.hostname) : hostName(host),
  ]);
  const compose = options.compose ?? null;
  const ports = [
    ...new Set([...(options.ports ?? []), ...(compose?.ports.map((p) => p.hostPort) ?? [])]),
  ].sort((a, b) => a - b);
  return {
    hostname,
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
    podman,
    probes: hostProbes(host),
    problems,
  };
}

/**
 * The host's name, for telling reports apart in a fleet: this machine's own on the live root;
 * under --root (a host mounted at /host, a fixture) its /etc/hostname, which is the host's even
 * where this process runs in another UTS namespace. Null when neither says.
 */
async function hostName(host: Host): Promise<string | null> {
  if (host.isLive && host.root === "/") return (await import("node:os")).hostname() || null;
  const text = await host.readFile("/etc/hostname").catch(() => null);
  const name = text?.split("\n")[0]?.trim();
  return name ? name.slice(0, 253) : null;
}

/** A host file the facts needed and could not read. */
export interface FactProblem {
  path: string;
  /** Which fact went without it: os, kernel, users. */
  fact: string;
  kind: string;
  message: string;
}

function asProblem(p: string, fact: string, error: unknown): FactProblem {
  if (error instanceof UnreadableFileError)
    return { path: p, fact, kind: error.kind, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { path: p, fact, kind: "io", message: `${p} cannot be read: ${message}` };
}

async function resolveTarget(
  host: Host,
  me: UserInfo,
  name: string | undefined,
  problems: FactProblem[],
): Promise<UserInfo> {
  if (name === undefined || name === me.name) return me;
  const user = await lookupUser(host, name);
  const passwd = problems.find((p) => p.fact === "users");
  if (user === null)
    throw new UsageError(
      `unknown user "${safeLine(name)}" (${passwd ? `${safeLine(passwd.message)}; ` : ""}not in /etc/passwd nor known to NSS)`,
    );
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

/** DMI vendor and product strings of hypervisors, as systemd-detect-virt knows them. */
const DMI_VENDORS: [RegExp, string][] = [
  [/^KVM|^OpenStack|^KubeVirt|^Amazon EC2|^Google Compute Engine/m, "kvm"],
  [/^QEMU/m, "qemu"],
  [/^VMware|^VMW/m, "vmware"],
  [/^innotek GmbH|^VirtualBox|^Oracle Corporation/m, "virtualbox"],
  [/^Xen/m, "xen"],
  [/^Bochs/m, "bochs"],
  [/^Parallels/m, "parallels"],
  [/^BHYVE/m, "bhyve"],
  [/^Microsoft Corporation\nVirtual Machine|^Virtual Machine/m, "microsoft"],
];

/** A fixture or mounted root has no virtualization of its own: only the live host is asked. */
async function detectVirtualization(host: Host): Promise<string | null> {
  return host.isLive && process.platform === "linux" ? virtualizationOf(host) : null;
}

/**
 * The container or hypervisor a host runs in, read from files the way systemd-detect-virt
 * reads them (a container first, then DMI, then the CPU's hypervisor flag): no process to
 * start, nothing that blocks Node's thread (systeminformation's system() ran three execSyncs).
 */
export async function virtualizationOf(host: Host): Promise<string | null> {
  const read = (p: string) => host.readFile(p).catch(() => null);
  if (await host.stat("/run/.containerenv")) return "podman";
  if (await host.stat("/.dockerenv")) return "docker";
  const container = /(?:^|\0)container=([^\0]+)/.exec((await read("/proc/1/environ")) ?? "")?.[1];
  if (container) return safeLine(container).slice(0, 40);
  const dmi = await Promise.all(
    ["sys_vendor", "product_name", "bios_vendor", "board_vendor"].map((f) => read(`/sys/class/dmi/id/${f}`)),
  );
  const text = dmi.map((t) => t?.trim() ?? "").join("\n");
  for (const [pattern, name] of DMI_VENDORS) if (pattern.test(text)) return name;
  const xen = (await read("/sys/hypervisor/type"))?.trim();
  if (xen) return safeLine(xen).slice(0, 40);
  const cpuinfo = (await read("/proc/cpuinfo")) ?? "";
  return /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo) ? "virtual machine" : null;
}
