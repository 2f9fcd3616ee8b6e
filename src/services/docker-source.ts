// Docker containers as services: read through the engine API (list, inspect, image inspect for
// what the image already sets, network and volume inspect), never from files.
// https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerInspect
import type { DockerClient } from "../migrate/docker.js";
import type { Gap, Inventory, NetworkSpec, ServiceSpec, VolumeSpec } from "./model.js";
import { countCarried, emptyService } from "./model.js";

export interface DockerInspect {
  Id: string;
  Name: string;
  Image: string;
  Config: {
    Image: string;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    User?: string;
    WorkingDir?: string;
    Hostname?: string;
    Healthcheck?: {
      Test?: string[];
      Interval?: number;
      Timeout?: number;
      Retries?: number;
      StartPeriod?: number;
    };
  };
  HostConfig: {
    NetworkMode?: string;
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    PublishAllPorts?: boolean;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] | null;
    DeviceRequests?:
      | { Driver?: string; Count?: number; DeviceIDs?: string[] | null; Capabilities?: string[][] | null }[]
      | null;
    Privileged?: boolean;
    ReadonlyRootfs?: boolean;
    Links?: string[] | null;
    LogConfig?: { Type?: string; Config?: Record<string, string> };
    Tmpfs?: Record<string, string> | null;
    ExtraHosts?: string[] | null;
    Dns?: string[] | null;
    ShmSize?: number;
    Memory?: number;
    NanoCpus?: number;
    Init?: boolean | null;
    SecurityOpt?: string[] | null;
    Sysctls?: Record<string, string> | null;
    PidMode?: string;
    IpcMode?: string;
    VolumesFrom?: string[] | null;
    Runtime?: string;
  };
  Mounts?: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean; Mode?: string }[];
  NetworkSettings?: {
    Networks?: Record<string, { Aliases?: string[] | null; Links?: string[] | null }> | null;
  };
}

interface ImageInspect {
  Config?: {
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    WorkingDir?: string;
    User?: string;
  };
}

const COMPOSE = "com.docker.compose.";
const DEFAULT_SHM = 64 * 1024 * 1024;

/** Nanoseconds as a Go duration podman reads ("30s", "1m30s" written as seconds). */
export function duration(ns: number | undefined): string | undefined {
  if (!ns) return undefined;
  const ms = ns / 1e6;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const same = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** One inspected container as a service; `image` is its image's inspect (what it sets already). */
export function serviceFromInspect(c: DockerInspect, image: ImageInspect | null, gaps: Gap[]): ServiceSpec {
  const name = c.Name.replace(/^\//, "");
  const s = emptyService(name, c.Config.Image);
  const labels = c.Config.Labels ?? {};
  const gap = (option: string, reason: string, value?: string) =>
    gaps.push({ object: name, option, reason, ...(value === undefined ? {} : { value }) });
  s.project = labels[`${COMPOSE}project`];
  s.service = labels[`${COMPOSE}service`];
  const img = image?.Config ?? {};
  // What the image sets already stays with the image: only the container's own choices are written.
  if (!same(c.Config.Entrypoint, img.Entrypoint) && c.Config.Entrypoint) s.entrypoint = c.Config.Entrypoint;
  if ((!same(c.Config.Cmd, img.Cmd) || s.entrypoint) && c.Config.Cmd) s.command = c.Config.Cmd;
  const imageEnv = new Set(img.Env ?? []);
  for (const e of c.Config.Env ?? []) {
    if (imageEnv.has(e)) continue;
    const i = e.indexOf("=");
    s.env.push(i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)]);
  }
  for (const [key, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    const [port, proto = "tcp"] = key.split("/");
    for (const b of bindings ?? [])
      s.ports.push({
        containerPort: port as string,
        protocol: proto as "tcp",
        ...(b.HostIp && b.HostIp !== "0.0.0.0" && b.HostIp !== "::" ? { hostIp: b.HostIp } : {}),
        ...(b.HostPort ? { hostPort: b.HostPort } : {}),
      });
  }
  if (c.HostConfig.PublishAllPorts) s.publishAll = true;
  for (const m of c.Mounts ?? []) {
    const options = [...(m.RW ? [] : ["ro"]), ...(m.Mode && /^[zZ]$/.test(m.Mode) ? [m.Mode] : [])];
    if (m.Type === "volume" && m.Name)
      s.mounts.push({ kind: "volume", source: m.Name, target: m.Destination, options });
    else if (m.Type === "bind")
      s.mounts.push({ kind: "bind", source: m.Source, target: m.Destination, options });
    else if (m.Type === "tmpfs")
      s.mounts.push({ kind: "tmpfs", source: "", target: m.Destination, options: [] });
    else gap("mount", `a ${m.Type} mount has no Podman equivalent`, m.Destination);
  }
  for (const [target, opts] of Object.entries(c.HostConfig.Tmpfs ?? {}))
    if (!s.mounts.some((m) => m.target === target))
      s.mounts.push({ kind: "tmpfs", source: "", target, options: opts ? opts.split(",") : [] });
  const mode = c.HostConfig.NetworkMode ?? "default";
  if (mode === "host" || mode === "none") s.networks.push(mode);
  else if (mode.startsWith("container:"))
    gap(
      "network_mode",
      "sharing another container's network namespace across engines cannot be expressed: the other container's id is Docker's",
      mode,
    );
  else {
    for (const [net, settings] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
      if (net === "bridge") continue;
      s.networks.push(net);
      for (const alias of settings.Aliases ?? [])
        if (alias !== name && !c.Id.startsWith(alias) && !s.aliases.includes(alias)) s.aliases.push(alias);
    }
  }
  const restart = c.HostConfig.RestartPolicy?.Name || "no";
  if (restart === "always" || restart === "unless-stopped" || restart === "on-failure") s.restart = restart;
  if (restart === "on-failure" && c.HostConfig.RestartPolicy?.MaximumRetryCount)
    s.restartRetries = c.HostConfig.RestartPolicy.MaximumRetryCount;
  const hc = c.Config.Healthcheck;
  if (hc?.Test && hc.Test.length > 0 && hc.Test[0] !== "NONE") {
    const [kind, ...rest] = hc.Test;
    s.health = {
      test: kind === "CMD-SHELL" ? rest.join(" ") : rest,
      ...(duration(hc.Interval) ? { interval: duration(hc.Interval) } : {}),
      ...(duration(hc.Timeout) ? { timeout: duration(hc.Timeout) } : {}),
      ...(hc.Retries ? { retries: hc.Retries } : {}),
      ...(duration(hc.StartPeriod) ? { startPeriod: duration(hc.StartPeriod) } : {}),
    };
  }
  if (c.Config.User && c.Config.User !== (img.User ?? "")) s.user = c.Config.User;
  if (c.Config.WorkingDir && c.Config.WorkingDir !== (img.WorkingDir ?? "")) s.workdir = c.Config.WorkingDir;
  if (c.Config.Hostname && !c.Id.startsWith(c.Config.Hostname)) s.hostname = c.Config.Hostname;
  s.capAdd = [...(c.HostConfig.CapAdd ?? [])];
  s.capDrop = [...(c.HostConfig.CapDrop ?? [])];
  for (const d of c.HostConfig.Devices ?? [])
    s.devices.push([d.PathOnHost, d.PathInContainer, d.CgroupPermissions].filter(Boolean).join(":"));
  for (const r of c.HostConfig.DeviceRequests ?? []) {
    const gpu = (r.Capabilities ?? []).some((caps) => caps.includes("gpu")) || r.Driver === "nvidia";
    if (!gpu) {
      gap("device_requests", "only GPU requests map to CDI devices", r.Driver);
      continue;
    }
    // GPUs as CDI devices: nvidia-ctk cdi generate writes nvidia.com/gpu=all and one per index.
    if (r.DeviceIDs && r.DeviceIDs.length > 0)
      for (const id of r.DeviceIDs) s.cdiDevices.push(`nvidia.com/gpu=${id}`);
    else if (r.Count === -1 || r.Count === undefined) s.cdiDevices.push("nvidia.com/gpu=all");
    else for (let i = 0; i < r.Count; i++) s.cdiDevices.push(`nvidia.com/gpu=${i}`);
  }
  if (c.HostConfig.Privileged) s.privileged = true;
  if (c.HostConfig.ReadonlyRootfs) s.readOnly = true;
  // Links on a user-defined network are kept with the network's endpoint, not in HostConfig.
  const links = [
    ...(c.HostConfig.Links ?? []),
    ...Object.values(c.NetworkSettings?.Networks ?? {}).flatMap((n) => n.Links ?? []),
  ];
  for (const link of new Set(links)) {
    const [target = "", alias = ""] = link.split(":");
    const other = target.replace(/^\//, "");
    if (!s.dependsOn.includes(other)) s.dependsOn.push(other);
    gap(
      "links",
      `legacy --link: ${other} is started first, but the name ${alias.split("/").pop()} is not defined in Podman; put both on one network and use the container name`,
      link,
    );
  }
  const log = c.HostConfig.LogConfig?.Type ?? "json-file";
  if (log === "journald" || log === "k8s-file" || log === "none") s.logDriver = log;
  else if (log !== "json-file" || Object.keys(c.HostConfig.LogConfig?.Config ?? {}).length > 0)
    gap(
      "log_driver",
      `log driver ${log} ${log === "json-file" ? "options are" : "is"} not available in Podman (journald, k8s-file, none)`,
      log,
    );
  const imageLabels = img.Labels ?? {};
  for (const [k, v] of Object.entries(labels))
    if (!k.startsWith(COMPOSE) && imageLabels[k] !== v) s.labels.push([k, v]);
  for (const h of c.HostConfig.ExtraHosts ?? []) s.podmanArgs.push("--add-host", h);
  for (const d of c.HostConfig.Dns ?? []) s.podmanArgs.push("--dns", d);
  if (c.HostConfig.ShmSize && c.HostConfig.ShmSize !== DEFAULT_SHM)
    s.podmanArgs.push("--shm-size", `${c.HostConfig.ShmSize}b`);
  if (c.HostConfig.Memory) s.podmanArgs.push("--memory", `${c.HostConfig.Memory}b`);
  if (c.HostConfig.NanoCpus) s.podmanArgs.push("--cpus", String(c.HostConfig.NanoCpus / 1e9));
  if (c.HostConfig.Init) s.podmanArgs.push("--init");
  for (const o of c.HostConfig.SecurityOpt ?? []) s.podmanArgs.push("--security-opt", o);
  for (const [k, v] of Object.entries(c.HostConfig.Sysctls ?? {})) s.podmanArgs.push("--sysctl", `${k}=${v}`);
  if (c.HostConfig.PidMode === "host") s.podmanArgs.push("--pid", "host");
  else if (c.HostConfig.PidMode)
    gap(
      "pid",
      "sharing another container's process namespace across engines cannot be expressed",
      c.HostConfig.PidMode,
    );
  if (c.HostConfig.IpcMode === "host") s.podmanArgs.push("--ipc", "host");
  else if (c.HostConfig.IpcMode?.startsWith("container:"))
    gap(
      "ipc",
      "sharing another container's IPC namespace across engines cannot be expressed",
      c.HostConfig.IpcMode,
    );
  if ((c.HostConfig.VolumesFrom ?? []).length > 0)
    gap(
      "volumes_from",
      "volumes from another Docker container: name the volumes instead",
      (c.HostConfig.VolumesFrom ?? []).join(","),
    );
  if (c.HostConfig.Runtime && c.HostConfig.Runtime !== "runc")
    gap(
      "runtime",
      `the Docker runtime ${c.HostConfig.Runtime} is Docker's configuration; choose Podman's with --runtime`,
      c.HostConfig.Runtime,
    );
  return s;
}

/** Compose dependencies (the depends_on label) as container names in the same project. */
function composeDependencies(list: { spec: ServiceSpec; labels: Record<string, string> }[]): void {
  for (const { spec, labels } of list) {
    const raw = labels[`${COMPOSE}depends_on`];
    if (!raw || !spec.project) continue;
    for (const entry of raw.split(",")) {
      const svc = entry.split(":")[0];
      const other = list.find((o) => o.spec.project === spec.project && o.spec.service === svc);
      if (other && !spec.dependsOn.includes(other.spec.name)) spec.dependsOn.push(other.spec.name);
    }
  }
}

/** Every container of the engine (running and stopped), with the networks and volumes they use. */
export async function inventoryFromDocker(docker: DockerClient, only: string[] = []): Promise<Inventory> {
  const list = await docker.call<{ Id: string; Names: string[]; Labels: Record<string, string> | null }[]>(
    "GET",
    "/containers/json?all=1",
  );
  const gaps: Gap[] = [];
  const images = new Map<string, Promise<ImageInspect | null>>();
  const picked = list.filter(
    (c) =>
      only.length === 0 ||
      c.Names.some((n) => only.includes(n.replace(/^\//, ""))) ||
      only.includes(c.Labels?.[`${COMPOSE}project`] ?? "\0"),
  );
  const inspected = await Promise.all(
    picked.map((c) => docker.call<DockerInspect>("GET", `/containers/${c.Id}/json`)),
  );
  const entries = [];
  for (const c of inspected) {
    let image = images.get(c.Image);
    if (!image) {
      image = docker.call<ImageInspect>("GET", `/images/${c.Image}/json`).catch(() => null);
      images.set(c.Image, image);
    }
    entries.push({ spec: serviceFromInspect(c, await image, gaps), labels: c.Config.Labels ?? {} });
  }
  composeDependencies(entries);
  const services = entries.map((e) => e.spec);
  const networks: NetworkSpec[] = [];
  for (const name of new Set(services.flatMap((s) => s.networks))) {
    if (name === "host" || name === "none") continue;
    const n = await docker.call<{
      Name: string;
      Driver?: string;
      Internal?: boolean;
      EnableIPv6?: boolean;
      IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null };
      Labels?: Record<string, string> | null;
    }>("GET", `/networks/${encodeURIComponent(name)}`);
    if (n.Driver && n.Driver !== "bridge" && n.Driver !== "macvlan" && n.Driver !== "ipvlan")
      gaps.push({
        object: name,
        option: "driver",
        value: n.Driver,
        reason: `network driver ${n.Driver} has no Podman equivalent; written as a bridge`,
      });
    networks.push({
      name: n.Name,
      ...(n.Driver === "macvlan" || n.Driver === "ipvlan" ? { driver: n.Driver } : {}),
      subnets: (n.IPAM?.Config ?? [])
        .filter((x) => x.Subnet)
        .map((x) => ({ subnet: x.Subnet as string, ...(x.Gateway ? { gateway: x.Gateway } : {}) })),
      internal: n.Internal === true,
      ipv6: n.EnableIPv6 === true,
      labels: Object.entries(n.Labels ?? {}).filter(([k]) => !k.startsWith(COMPOSE)),
    });
  }
  const volumes: VolumeSpec[] = [];
  for (const name of new Set(
    services.flatMap((s) => s.mounts.filter((m) => m.kind === "volume").map((m) => m.source)),
  )) {
    const v = await docker.call<{
      Name: string;
      Driver: string;
      Options: Record<string, string> | null;
      Labels: Record<string, string> | null;
    }>("GET", `/volumes/${encodeURIComponent(name)}`);
    if (v.Driver !== "local")
      gaps.push({
        object: name,
        option: "driver",
        value: v.Driver,
        reason: `volume driver ${v.Driver} is a Docker plugin; Podman needs its own volume plugin of that name`,
      });
    volumes.push({
      name: v.Name,
      ...(v.Driver !== "local" ? { driver: v.Driver } : {}),
      options: Object.entries(v.Options ?? {}),
      labels: Object.entries(v.Labels ?? {}).filter(([k]) => !k.startsWith(COMPOSE)),
    });
  }
  const carried: Record<string, number> = {};
  for (const s of services) countCarried(s, carried);
  return { source: `the Docker engine at ${docker.dockerHost}`, services, volumes, networks, gaps, carried };
}
