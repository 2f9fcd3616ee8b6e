// Quadlet units (.container, .volume, .network) for Podman >= 4.4: systemd's generator turns
// them into services at boot and on daemon-reload. Keys as in podman-systemd.unit(5):
// https://docs.podman.io/en/latest/markdown/podman-systemd.unit.5.html
import type { NetworkSpec, ServiceSpec, VolumeSpec } from "./model.js";
import { healthTest, mountArg, portArg } from "./podman-args.js";
import { renderSection, type Section, unitRaw, unitWords, unitWord as word } from "./unit-text.js";

// Quadlet copies every value into the ExecStart it generates, where systemd expands `$NAME`:
// each value is escaped as an Exec word ($ doubled), not only Exec=.
const raw = (v: string) => unitRaw(v, true);
const unitWord = (v: string) => word(v, true);

export interface UnitFile {
  /** File name in the unit folder (web.container). */
  name: string;
  content: string;
  /** 0600 when it holds environment values (they may be secrets). */
  mode: number;
}

export interface UnitOptions {
  rootful: boolean;
  /** Names of the networks and volumes that get their own unit (referenced as name.network). */
  networkUnits: Set<string>;
  volumeUnits: Set<string>;
  source: string;
}

export function installTarget(rootful: boolean): string {
  return rootful ? "multi-user.target" : "default.target";
}

export function containerUnit(s: ServiceSpec, o: UnitOptions): UnitFile {
  const unit: [string, string][] = [["Description", raw(`${s.name} (migrated from Docker by podlift)`)]];
  for (const d of s.dependsOn) unit.push(["Requires", `${d}.service`], ["After", `${d}.service`]);
  const c: [string, string][] = [
    ["Image", raw(s.image)],
    ["ContainerName", raw(s.name)],
  ];
  if (s.entrypoint)
    c.push([
      "Entrypoint",
      raw(s.entrypoint.length === 1 ? (s.entrypoint[0] as string) : JSON.stringify(s.entrypoint)),
    ]);
  if (s.command && s.command.length > 0) c.push(["Exec", unitWords(s.command, true)]);
  for (const [k, v] of s.env) c.push(["Environment", unitWord(`${k}=${v}`)]);
  for (const f of s.envFiles) c.push(["EnvironmentFile", raw(f)]);
  for (const p of s.ports) c.push(["PublishPort", raw(portArg(p))]);
  for (const m of s.mounts) {
    if (m.kind === "tmpfs") c.push(["Tmpfs", raw(mountArg(m))]);
    else {
      const source = m.kind === "volume" && o.volumeUnits.has(m.source) ? `${m.source}.volume` : m.source;
      c.push(["Volume", raw(mountArg({ ...m, source }))]);
    }
  }
  for (const n of s.networks) c.push(["Network", raw(o.networkUnits.has(n) ? `${n}.network` : n)]);
  if (s.user) c.push(["User", raw(s.user)]);
  if (s.workdir) c.push(["WorkingDir", raw(s.workdir)]);
  if (s.hostname) c.push(["HostName", raw(s.hostname)]);
  for (const cap of s.capAdd) c.push(["AddCapability", raw(cap)]);
  for (const cap of s.capDrop) c.push(["DropCapability", raw(cap)]);
  for (const d of [...s.devices, ...s.cdiDevices]) c.push(["AddDevice", raw(d)]);
  if (s.readOnly) c.push(["ReadOnly", "true"]);
  if (s.logDriver) c.push(["LogDriver", s.logDriver]);
  if (s.health) {
    c.push(["HealthCmd", raw(healthTest(s.health.test))]);
    if (s.health.interval) c.push(["HealthInterval", s.health.interval]);
    if (s.health.timeout) c.push(["HealthTimeout", s.health.timeout]);
    if (s.health.retries !== undefined) c.push(["HealthRetries", String(s.health.retries)]);
    if (s.health.startPeriod) c.push(["HealthStartPeriod", s.health.startPeriod]);
  }
  for (const [k, v] of s.labels) c.push(["Label", unitWord(`${k}=${v}`)]);
  const extra = [
    ...s.aliases.flatMap((a) => ["--network-alias", a]),
    ...(s.privileged ? ["--privileged"] : []),
    ...s.podmanArgs,
  ];
  if (extra.length > 0) c.push(["PodmanArgs", unitWords(extra, true)]);
  const service: [string, string][] = [];
  if (s.restart !== "no") service.push(["Restart", s.restart === "on-failure" ? "on-failure" : "always"]);
  const install: [string, string][] = s.restart === "no" ? [] : [["WantedBy", installTarget(o.rootful)]];
  return {
    name: `${s.name}.container`,
    content: renderSection(header(o.source, s.name), [
      ["Unit", unit],
      ["Container", c],
      ["Service", service],
      ["Install", install],
    ]),
    mode: s.env.length > 0 ? 0o600 : 0o644,
  };
}

export function volumeUnit(v: VolumeSpec, o: UnitOptions): UnitFile {
  const lines: [string, string][] = [["VolumeName", raw(v.name)]];
  if (v.driver && v.driver !== "local") lines.push(["Driver", raw(v.driver)]);
  for (const [k, val] of v.options) {
    if (k === "type") lines.push(["Type", raw(val)]);
    else if (k === "device") lines.push(["Device", raw(val)]);
    else if (k === "o") lines.push(["Options", raw(val)]);
  }
  for (const [k, val] of v.labels) lines.push(["Label", unitWord(`${k}=${val}`)]);
  return {
    name: `${v.name}.volume`,
    content: renderSection(header(o.source, v.name), [["Volume", lines]]),
    mode: 0o644,
  };
}

export function networkUnit(n: NetworkSpec, o: UnitOptions): UnitFile {
  const lines: [string, string][] = [["NetworkName", raw(n.name)]];
  if (n.driver && n.driver !== "bridge") lines.push(["Driver", raw(n.driver)]);
  for (const s of n.subnets) {
    lines.push(["Subnet", raw(s.subnet)]);
    if (s.gateway) lines.push(["Gateway", raw(s.gateway)]);
  }
  if (n.internal) lines.push(["Internal", "true"]);
  if (n.ipv6) lines.push(["IPv6", "true"]);
  for (const [k, v] of n.labels) lines.push(["Label", unitWord(`${k}=${v}`)]);
  return {
    name: `${n.name}.network`,
    content: renderSection(header(o.source, n.name), [["Network", lines]]),
    mode: 0o644,
  };
}

function header(source: string, name: string): string[] {
  return [`Written by podlift migrate services from ${source}: ${name}`, "podlift undo removes it."];
}

export type { Section };
