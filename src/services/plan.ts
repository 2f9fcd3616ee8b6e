// From an inventory to files: which kind of unit this host can run (Quadlet, `podman generate
// systemd`-style services, or plain commands without systemd), where they go for the target
// user, and the fix-engine plan that writes them (journalled, atomic, `podlift undo`).
import path from "node:path";
import type { Change, Plan } from "../fix/types.js";
import type { Host, UserInfo } from "../host/types.js";
import { shellQuote } from "../text/safe-text.js";
import { commandScript, createCommands } from "./commands.js";
import type { Gap, Inventory, ServiceSpec } from "./model.js";
import { containerUnit, networkUnit, type UnitFile, volumeUnit } from "./quadlet.js";
import { serviceName, systemdService } from "./systemd-service.js";
import { breaksLine } from "./unit-text.js";

export type Mode = "quadlet" | "service" | "commands";

const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

export interface HostFacts {
  podmanVersion: string | null;
  systemd: boolean;
  quadlet: boolean;
}

const QUADLET_PATHS = ["/usr/libexec/podman/quadlet", "/usr/lib/podman/quadlet"];

/** What decides the kind of unit: Podman's version, its Quadlet generator, systemd. */
export async function hostFacts(host: Host): Promise<HostFacts> {
  const quadlet = (await Promise.all(QUADLET_PATHS.map((p) => host.stat(p)))).some((s) => s?.type === "file");
  // A root that is not this running system (--root) boots with systemd when systemd is installed.
  const systemd =
    (await host.stat("/run/systemd/system"))?.type === "dir" ||
    (!host.isLive && (await host.stat("/usr/lib/systemd/systemd")) !== null);
  let podmanVersion: string | null = null;
  if (host.isLive) {
    const r = await host.run(["podman", "--version"], { timeoutMs: 5000 });
    podmanVersion = r.exitCode === 0 ? (/(\d+\.\d+(?:\.\d+)?)/.exec(r.stdout)?.[1] ?? null) : null;
  }
  return { podmanVersion, systemd, quadlet };
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a > major || (a === major && b >= minor);
}

export function chooseMode(f: HostFacts, forced?: Mode): { mode: Mode; why: string } {
  if (forced) return { mode: forced, why: `asked for with --as ${forced}` };
  if (!f.systemd)
    return {
      mode: "commands",
      why: "systemd does not run this host (/run/systemd/system is missing), so no unit would ever start: podlift writes the podman commands and the podman-restart step for the host's own init",
    };
  if (f.quadlet || (f.podmanVersion !== null && atLeast(f.podmanVersion, 4, 4)))
    return {
      mode: "quadlet",
      why: `Podman ${f.podmanVersion ?? "(version unknown)"} has Quadlet${f.quadlet ? " (its generator is installed)" : ""}: .container, .volume and .network units, turned into services by systemd`,
    };
  return {
    mode: "service",
    why: `Podman ${f.podmanVersion ?? "is not installed or"} has no Quadlet (4.4 or later): services in the shape podman generate systemd --new writes`,
  };
}

export interface Target {
  /** null: rootful. */
  user: UserInfo | null;
}

export function unitDir(mode: Mode, t: Target): string {
  if (mode === "quadlet")
    return t.user ? `${t.user.home}/.config/containers/systemd` : "/etc/containers/systemd";
  if (mode === "service") return t.user ? `${t.user.home}/.config/systemd/user` : "/etc/systemd/system";
  return t.user ? t.user.home : "/root";
}

/** Dependencies first; a cycle keeps the rest in their order (systemd would refuse it anyway). */
export function startOrder(services: ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const out: ServiceSpec[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: ServiceSpec) => {
    if (state.get(s.name)) return;
    state.set(s.name, "visiting");
    for (const d of s.dependsOn) {
      const other = byName.get(d);
      if (other) visit(other);
    }
    state.set(s.name, "done");
    out.push(s);
  };
  for (const s of services) visit(s);
  return out;
}

/**
 * `--add-host NAME:host-gateway` is Podman 5's (4.3 refuses the container: "invalid IP address
 * in add-host"); before it, Podman names the host host.containers.internal by itself.
 */
function withoutHostGateway(s: ServiceSpec, gaps: Gap[]): ServiceSpec {
  const args: string[] = [];
  for (let i = 0; i < s.podmanArgs.length; i++) {
    const a = s.podmanArgs[i] as string;
    const next = s.podmanArgs[i + 1];
    if (a === "--add-host" && next?.endsWith(":host-gateway")) {
      gaps.push({
        object: s.name,
        option: "extra_hosts",
        value: next,
        reason:
          "host-gateway needs Podman 5; this Podman names the host host.containers.internal instead, so the entry is left out",
      });
      i++;
    } else args.push(a);
  }
  return args.length === s.podmanArgs.length ? s : { ...s, podmanArgs: args };
}

/** Values a unit line cannot hold (a newline in an env value): the service is left out, with the reason. */
function unwritable(s: ServiceSpec): string | null {
  const values = [
    s.image,
    s.name,
    ...s.env.flat(),
    ...s.labels.flat(),
    ...s.mounts.flatMap((m) => [m.source, m.target]),
    ...(s.command ?? []),
    ...(s.entrypoint ?? []),
  ];
  const bad = values.find(breaksLine);
  return bad === undefined
    ? null
    : `a value holds a control character or line break: ${JSON.stringify(bad).slice(0, 60)}`;
}

export interface ServicePlan {
  mode: Mode;
  why: string;
  dir: string;
  files: (UnitFile & { path: string })[];
  /** The podman commands (commands mode), as argument arrays. */
  commands: string[][];
  gaps: Gap[];
  notes: string[];
  /** Dependencies a unit names that no unit provides (a container not migrated). */
  services: ServiceSpec[];
}

export function planServices(inv: Inventory, facts: HostFacts, t: Target, forced?: Mode): ServicePlan {
  const { mode, why } = chooseMode(facts, forced);
  const dir = unitDir(mode, t);
  const gaps = [...inv.gaps];
  const services: ServiceSpec[] = [];
  const before5 = facts.podmanVersion !== null && !atLeast(facts.podmanVersion, 5, 0);
  for (const original of inv.services) {
    const s = before5 ? withoutHostGateway(original, gaps) : original;
    const bad = unwritable(s);
    if (bad) gaps.push({ object: s.name, option: "unit", reason: `not converted: ${bad}` });
    else services.push(s);
  }
  if (mode !== "commands")
    for (const s of services.filter((x) => x.restartRetries))
      gaps.push({
        object: s.name,
        option: "restart",
        value: `on-failure:${s.restartRetries}`,
        reason:
          "systemd's Restart=on-failure has no retry count of its own (StartLimitBurst counts starts in an interval)",
      });
  if (mode !== "commands")
    for (const s of services.filter((x) => x.restart === "unless-stopped"))
      gaps.push({
        object: s.name,
        option: "restart",
        value: "unless-stopped",
        reason:
          "systemd has no unless-stopped: written as Restart=always, so a container stopped by hand still starts at boot (stop or disable its unit instead)",
      });
  for (const s of services) {
    // The mount is carried, but what it means changes: said, not silently kept.
    for (const m of s.mounts.filter((x) => x.kind === "bind" && DOCKER_SOCKETS.includes(x.source)))
      gaps.push({
        object: s.name,
        option: "volumes",
        value: m.source,
        reason: `the Docker engine's socket: under Podman nothing answers there; mount Podman's socket instead (${t.user ? `/run/user/${t.user.uid}/podman/podman.sock` : "/run/podman/podman.sock"}, with podman.socket enabled)`,
      });
    if (t.user)
      for (const p of s.ports.filter((x) => Number(x.hostPort) > 0 && Number(x.hostPort) < 1024))
        gaps.push({
          object: s.name,
          option: "ports",
          value: p.hostPort,
          reason: `rootless Podman cannot publish port ${p.hostPort} unless net.ipv4.ip_unprivileged_port_start allows it (podlift doctor --ports ${p.hostPort})`,
        });
  }
  const names = new Set(services.map((s) => s.name));
  for (const s of services)
    for (const d of s.dependsOn)
      if (!names.has(d))
        gaps.push({
          object: s.name,
          option: "dependency",
          value: d,
          reason: `it needs ${d}, which is not converted: its unit waits for a unit that does not exist`,
        });
  const rootful = t.user === null;
  const notes: string[] = [];
  const files: ServicePlan["files"] = [];
  let commands: string[][] = [];
  const ordered = startOrder(services);
  if (mode === "quadlet") {
    const o = {
      rootful,
      source: inv.source,
      networkUnits: new Set(inv.networks.map((n) => n.name)),
      volumeUnits: new Set(inv.volumes.map((v) => v.name)),
    };
    for (const n of inv.networks) files.push(at(dir, networkUnit(n, o)));
    for (const v of inv.volumes) files.push(at(dir, volumeUnit(v, o)));
    for (const s of ordered) files.push(at(dir, containerUnit(s, o)));
  } else if (mode === "service") {
    for (const s of ordered)
      files.push(
        at(
          dir,
          systemdService(s, { rootful, source: inv.source, networks: inv.networks, volumes: inv.volumes }),
        ),
      );
  } else {
    commands = createCommands({ ...inv, services }, ordered);
    files.push({
      path: `${dir}/podlift-services.sh`,
      name: "podlift-services.sh",
      content: commandScript({ ...inv, services }, ordered, t.user?.name ?? null),
      mode: 0o700,
    });
  }
  if (services.some((s) => s.env.length > 0) && mode !== "commands")
    notes.push(
      "units with environment values are written mode 0600: Docker keeps them in its container config, and they may be secrets",
    );
  if (inv.source.startsWith("the Docker engine") && inv.services.some((s) => s.project))
    notes.push(
      "com.docker.compose.* labels are Docker Compose's bookkeeping and are not carried (podman-compose would take the containers for its own)",
    );
  return { mode, why, dir, files, commands, gaps, notes, services: ordered };
}

function at(dir: string, f: UnitFile): UnitFile & { path: string } {
  return { ...f, path: path.posix.join(dir, f.name) };
}

/** systemctl for the target: --user through the user's manager (-M user@) when podlift is root. */
export function systemctl(t: Target, args: string[]): string[] {
  return t.user ? ["systemctl", "--user", "-M", `${t.user.name}@`, ...args] : ["systemctl", ...args];
}

/** The fix-engine plan: one write-file change per file, then (with --enable) daemon-reload and start. */
export async function toFixPlan(host: Host, sp: ServicePlan, t: Target, enable: boolean): Promise<Plan> {
  const changes: Change[] = [];
  // Folders made for a rootless user are theirs: left to the writer, ~/.config would be root's
  // and the user could write none of their own units. Undo removes exactly those, if empty.
  if (t.user) {
    const missing: string[] = [];
    for (let dir = sp.dir; dir.startsWith(`${t.user.home}/`); dir = path.posix.dirname(dir)) {
      if ((await host.lstat(dir)) !== null) break;
      missing.unshift(dir);
    }
    // install -d, not mkdir as the user: under --root commands run through chroot, which a user
    // cannot call. Each folder is named, so each gets the owner.
    if (missing.length > 0)
      changes.push({
        kind: "command",
        argv: ["install", "-d", "-o", String(t.user.uid), "-g", String(t.user.gid), "-m", "0755", ...missing],
        why: `make ${missing.join(", ")}, owned by ${t.user.name}`,
        needsRoot: host.currentUser().uid !== t.user.uid,
        undo: ["rmdir", "--ignore-fail-on-non-empty", ...[...missing].reverse()],
      });
  }
  for (const f of sp.files) {
    changes.push({
      kind: "write-file",
      path: f.path,
      before: await host.readFile(f.path),
      after: f.content,
      mode: f.mode,
      ...(t.user
        ? { owner: { uid: t.user.uid, gid: t.user.gid }, needsRoot: host.currentUser().uid !== t.user.uid }
        : {}),
      why: `${sp.mode === "commands" ? "the podman commands" : "unit"} ${f.name}`,
    });
  }
  const notes = [...sp.notes];
  if (enable && sp.mode !== "commands") {
    changes.push({
      kind: "command",
      argv: systemctl(t, ["daemon-reload"]),
      why: "systemd reads the new units",
      needsRoot: t.user === null,
    });
    const started = sp.services.filter((s) => s.restart !== "no");
    const units = started.map((s) => (sp.mode === "quadlet" ? `${s.name}.service` : serviceName(s)));
    // Quadlet services are enabled by their [Install] section at generation; the others by systemctl enable.
    if (units.length > 0)
      changes.push({
        kind: "command",
        argv: systemctl(t, sp.mode === "quadlet" ? ["start", ...units] : ["enable", "--now", ...units]),
        why: "start the services now",
        needsRoot: t.user === null,
        undo: systemctl(t, sp.mode === "quadlet" ? ["stop", ...units] : ["disable", "--now", ...units]),
      });
  } else if (sp.mode !== "commands") {
    notes.push(
      `not started: run ${systemctl(t, ["daemon-reload"]).map(shellQuote).join(" ")} and start the services, or run again with --enable`,
    );
  }
  return {
    fixId: "migrate-services",
    title: `Podman ${sp.mode === "quadlet" ? "Quadlet units" : sp.mode === "service" ? "systemd services" : "commands"} for ${sp.services.length} container(s)`,
    risk: "safe",
    summary: sp.why,
    changes,
    notes,
    verify: [],
  };
}
