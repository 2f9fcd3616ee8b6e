// One service as `podman run`/`podman create` flags (an argument array, never a shell string):
// the ExecStart of `podman generate systemd`-style units, the commands for hosts without
// systemd, and what the integration tests really create containers from.
// https://docs.podman.io/en/latest/markdown/podman-create.1.html
import type { MountSpec, NetworkSpec, PortSpec, ServiceSpec, VolumeSpec } from "./model.js";

export function portArg(p: PortSpec): string {
  const host = [p.hostIp, p.hostPort].filter((x) => x !== undefined && x !== "");
  const base =
    p.hostIp && !p.hostPort ? `${p.hostIp}::${p.containerPort}` : [...host, p.containerPort].join(":");
  return p.protocol === "tcp" ? base : `${base}/${p.protocol}`;
}

export function mountArg(m: MountSpec): string {
  if (m.kind === "tmpfs") return m.options.length ? `${m.target}:${m.options.join(",")}` : m.target;
  return [m.source, m.target, ...(m.options.length ? [m.options.join(",")] : [])].join(":");
}

export function healthTest(test: string[] | string): string {
  return typeof test === "string" ? test : JSON.stringify(test);
}

/** The flags after `podman run` / `podman create`, ending with the image and the command. */
export function podmanRunArgs(s: ServiceSpec): string[] {
  const a: string[] = ["--name", s.name];
  if (s.restart !== "no")
    a.push("--restart", s.restartRetries ? `${s.restart}:${s.restartRetries}` : s.restart);
  for (const n of s.networks) a.push("--network", n);
  for (const alias of s.aliases) a.push("--network-alias", alias);
  for (const p of s.ports) a.push("-p", portArg(p));
  if (s.publishAll) a.push("--publish-all");
  for (const m of s.mounts) a.push(m.kind === "tmpfs" ? "--tmpfs" : "-v", mountArg(m));
  for (const f of s.envFiles) a.push("--env-file", f);
  for (const [k, v] of s.env) a.push("-e", `${k}=${v}`);
  for (const [k, v] of s.labels) a.push("--label", `${k}=${v}`);
  if (s.user) a.push("--user", s.user);
  if (s.workdir) a.push("--workdir", s.workdir);
  if (s.hostname) a.push("--hostname", s.hostname);
  for (const c of s.capAdd) a.push("--cap-add", c);
  for (const c of s.capDrop) a.push("--cap-drop", c);
  for (const d of [...s.devices, ...s.cdiDevices]) a.push("--device", d);
  if (s.privileged) a.push("--privileged");
  if (s.readOnly) a.push("--read-only");
  if (s.logDriver) a.push("--log-driver", s.logDriver);
  if (s.health) {
    a.push("--health-cmd", healthTest(s.health.test));
    if (s.health.interval) a.push("--health-interval", s.health.interval);
    if (s.health.timeout) a.push("--health-timeout", s.health.timeout);
    if (s.health.retries !== undefined) a.push("--health-retries", String(s.health.retries));
    if (s.health.startPeriod) a.push("--health-start-period", s.health.startPeriod);
  }
  a.push(...s.podmanArgs);
  // An entrypoint list becomes a JSON array: podman takes it as the exec form.
  if (s.entrypoint)
    a.push(
      "--entrypoint",
      s.entrypoint.length === 1 ? (s.entrypoint[0] as string) : JSON.stringify(s.entrypoint),
    );
  a.push(s.image, ...(s.command ?? []));
  return a;
}

export function networkCreateArgs(n: NetworkSpec): string[] {
  const a = ["network", "create"];
  if (n.driver && n.driver !== "bridge") a.push("--driver", n.driver);
  for (const s of n.subnets) {
    a.push("--subnet", s.subnet);
    if (s.gateway) a.push("--gateway", s.gateway);
  }
  if (n.internal) a.push("--internal");
  if (n.ipv6) a.push("--ipv6");
  for (const [k, v] of n.labels) a.push("--label", `${k}=${v}`);
  a.push(n.name);
  return a;
}

export function volumeCreateArgs(v: VolumeSpec): string[] {
  const a = ["volume", "create"];
  if (v.driver && v.driver !== "local") a.push("--driver", v.driver);
  for (const [k, val] of v.options) a.push("--opt", `${k}=${val}`);
  for (const [k, val] of v.labels) a.push("--label", `${k}=${val}`);
  a.push(v.name);
  return a;
}
