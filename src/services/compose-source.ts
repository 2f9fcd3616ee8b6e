// A compose project as services, without a Docker engine: read through the one compose reader
// (src/compose/project.ts), named the way Compose names things (<project>-<service>-1,
// <project>_<volume>, <project>_default). https://github.com/compose-spec/compose-spec/blob/main/05-services.md
import path from "node:path";
import type { Loaded } from "../compose/project.js";
import type { Gap, Inventory, MountSpec, NetworkSpec, PortSpec, ServiceSpec, VolumeSpec } from "./model.js";
import { countCarried, emptyService } from "./model.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)];

/** Keys podlift carries; anything else under a service is reported, never dropped silently. */
const KNOWN = new Set([
  "image",
  "build",
  "container_name",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "expose",
  "volumes",
  "networks",
  "network_mode",
  "restart",
  "healthcheck",
  "user",
  "cap_add",
  "cap_drop",
  "devices",
  "deploy",
  "labels",
  "depends_on",
  "links",
  "hostname",
  "working_dir",
  "privileged",
  "read_only",
  "logging",
  "extra_hosts",
  "dns",
  "shm_size",
  "init",
  "security_opt",
  "sysctls",
  "tmpfs",
  "stop_grace_period",
  "profiles",
  "gpus",
  "mem_limit",
  "cpus",
]);

/** Splits a command string the way Compose does (shell words: quotes and backslashes, no expansion). */
export function shellWords(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      any = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      cur += text[++i];
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur !== "" || any) out.push(cur);
      cur = "";
      any = false;
    } else cur += ch;
  }
  if (cur !== "" || any) out.push(cur);
  return out;
}

function pairs(v: unknown, sep = "="): [string, string][] {
  if (isObj(v)) return Object.entries(v).map(([k, x]) => [k, x === null || x === undefined ? "" : String(x)]);
  return strings(v).map((e) => {
    const i = e.indexOf(sep);
    return i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)];
  });
}

function ports(v: unknown): PortSpec[] {
  const out: PortSpec[] = [];
  for (const item of Array.isArray(v) ? v : []) {
    if (isObj(item)) {
      out.push({
        containerPort: String(item.target),
        protocol: (str(item.protocol) ?? "tcp") as "tcp",
        ...(item.host_ip ? { hostIp: String(item.host_ip) } : {}),
        ...(item.published !== undefined ? { hostPort: String(item.published) } : {}),
      });
      continue;
    }
    const [spec = "", protocol = "tcp"] = String(item).split("/");
    const ip = /^\[([^\]]*)\]:/.exec(spec);
    const parts = spec.replace(/^\[[^\]]*\]:/, "").split(":");
    const containerPort = parts.pop() as string;
    const hostPort = parts.pop();
    const hostIp = ip?.[1] ?? parts.pop();
    out.push({
      containerPort,
      protocol: protocol as "tcp",
      ...(hostIp ? { hostIp } : {}),
      ...(hostPort ? { hostPort } : {}),
    });
  }
  return out;
}

export function servicesFromCompose(p: Loaded, home = "/root"): Inventory {
  const project = p.project;
  const dir = path.posix.dirname(p.file);
  const gaps: Gap[] = [];
  const services: ServiceSpec[] = [];
  const data = p.data;
  const topVolumes = isObj(data.volumes) ? data.volumes : {};
  const topNetworks = isObj(data.networks) ? data.networks : {};
  const volumeName = (key: string) => {
    const v = topVolumes[key];
    return isObj(v) && v.name ? String(v.name) : isObj(v) && v.external === true ? key : `${project}_${key}`;
  };
  const networkName = (key: string) => {
    const n = topNetworks[key];
    return isObj(n) && n.name ? String(n.name) : isObj(n) && n.external === true ? key : `${project}_${key}`;
  };
  const hostPath = (src: string) => {
    const expanded = src.startsWith("~") ? home + src.slice(1) : src;
    return path.posix.resolve(dir, expanded);
  };
  const svcs = isObj(data.services) ? data.services : {};
  const nameOf = (svc: string) => {
    const s = svcs[svc];
    return isObj(s) && s.container_name ? String(s.container_name) : `${project}-${svc}-1`;
  };
  const usedNetworks = new Set<string>();
  const usedVolumes = new Set<string>();
  for (const [svc, raw] of Object.entries(svcs)) {
    if (!isObj(raw)) continue;
    const name = nameOf(svc);
    const gap = (option: string, reason: string, value?: unknown) =>
      gaps.push({
        object: name,
        option,
        reason,
        ...(value === undefined ? {} : { value: typeof value === "string" ? value : JSON.stringify(value) }),
      });
    let image = str(raw.image);
    if (!image) {
      image = `${project}-${svc}`;
      gap(
        "build",
        `no image: build it first (podman build -t ${image} …); the unit names that image`,
        raw.build,
      );
    }
    const s = emptyService(name, image);
    s.project = project;
    s.service = svc;
    s.aliases = [svc];
    if (raw.entrypoint !== undefined)
      s.entrypoint =
        typeof raw.entrypoint === "string" ? shellWords(raw.entrypoint) : strings(raw.entrypoint);
    if (raw.command !== undefined)
      s.command = typeof raw.command === "string" ? shellWords(raw.command) : strings(raw.command);
    s.env = pairs(raw.environment);
    for (const f of Array.isArray(raw.env_file)
      ? raw.env_file
      : raw.env_file === undefined
        ? []
        : [raw.env_file])
      s.envFiles.push(hostPath(isObj(f) ? String(f.path) : String(f)));
    s.ports = ports(raw.ports);
    for (const item of Array.isArray(raw.volumes) ? raw.volumes : []) {
      let m: MountSpec | null = null;
      if (isObj(item)) {
        const type = str(item.type) ?? "volume";
        const options = [
          ...(item.read_only === true ? ["ro"] : []),
          ...(isObj(item.bind) && item.bind.selinux ? [String(item.bind.selinux)] : []),
          ...(isObj(item.volume) && item.volume.nocopy === true ? ["nocopy"] : []),
        ];
        if (type === "bind")
          m = { kind: "bind", source: hostPath(String(item.source)), target: String(item.target), options };
        else if (type === "volume" && item.source)
          m = {
            kind: "volume",
            source: volumeName(String(item.source)),
            target: String(item.target),
            options,
          };
        else if (type === "volume") m = { kind: "volume", source: "", target: String(item.target), options };
        else if (type === "tmpfs")
          m = { kind: "tmpfs", source: "", target: String(item.target), options: [] };
        else gap("volumes", `a ${type} mount has no Podman unit key`, item);
      } else {
        const parts = String(item).split(":");
        if (parts.length === 1) m = { kind: "volume", source: "", target: parts[0] as string, options: [] };
        else {
          const [source = "", target = "", opts] = parts;
          const options = opts ? opts.split(",").filter((o) => o !== "rw") : [];
          m = /^[./~]/.test(source)
            ? { kind: "bind", source: hostPath(source), target, options }
            : { kind: "volume", source: volumeName(source), target, options };
        }
      }
      if (m === null) continue;
      // An anonymous volume is a fresh one at each create, as in Compose: no unit of its own.
      if (m.kind === "volume" && m.source === "") {
        s.podmanArgs.push("-v", m.target);
        continue;
      }
      if (m.kind === "volume") usedVolumes.add(m.source);
      s.mounts.push(m);
    }
    for (const t of strings(raw.tmpfs)) s.mounts.push({ kind: "tmpfs", source: "", target: t, options: [] });
    const mode = str(raw.network_mode);
    // Aliases are names on a network of the project's; a container in another's namespace (or the host's) has none.
    if (mode) s.aliases = [];
    if (mode === "host" || mode === "none") s.networks.push(mode);
    else if (mode?.startsWith("service:")) {
      const other = nameOf(mode.slice(8));
      s.dependsOn.push(other);
      s.podmanArgs.push("--network", `container:${other}`);
    } else if (mode)
      gap(
        "network_mode",
        mode.startsWith("container:")
          ? "a Docker container's network namespace cannot be shared across engines"
          : `network_mode ${mode} has no Podman equivalent`,
        mode,
      );
    else {
      const nets = Array.isArray(raw.networks)
        ? raw.networks.map(String)
        : isObj(raw.networks)
          ? Object.keys(raw.networks)
          : ["default"];
      for (const n of nets) {
        const full = networkName(n);
        s.networks.push(full);
        usedNetworks.add(n);
        const opts = isObj(raw.networks) ? raw.networks[n] : undefined;
        if (isObj(opts)) for (const a of strings(opts.aliases)) if (!s.aliases.includes(a)) s.aliases.push(a);
      }
    }
    const restart = str(raw.restart) ?? "no";
    if (restart === "always" || restart === "unless-stopped") s.restart = restart;
    else if (restart.startsWith("on-failure")) {
      s.restart = "on-failure";
      const retries = Number(restart.split(":")[1]);
      if (retries > 0) s.restartRetries = retries;
    }
    const hc = raw.healthcheck;
    if (isObj(hc) && hc.disable !== true && hc.test !== undefined) {
      const test = hc.test;
      const list = Array.isArray(test) ? test.map(String) : ["CMD-SHELL", String(test)];
      if (list[0] !== "NONE")
        s.health = {
          test: list[0] === "CMD-SHELL" ? list.slice(1).join(" ") : list[0] === "CMD" ? list.slice(1) : list,
          ...(hc.interval ? { interval: String(hc.interval) } : {}),
          ...(hc.timeout ? { timeout: String(hc.timeout) } : {}),
          ...(hc.retries !== undefined ? { retries: Number(hc.retries) } : {}),
          ...(hc.start_period ? { startPeriod: String(hc.start_period) } : {}),
        };
    }
    if (raw.user !== undefined) s.user = String(raw.user);
    if (raw.working_dir) s.workdir = String(raw.working_dir);
    if (raw.hostname) s.hostname = String(raw.hostname);
    s.capAdd = strings(raw.cap_add);
    s.capDrop = strings(raw.cap_drop);
    for (const d of Array.isArray(raw.devices) ? raw.devices : []) {
      const text = isObj(d)
        ? `${d.source}:${d.target}${d.permissions ? `:${d.permissions}` : ""}`
        : String(d);
      // A CDI name (vendor.com/class=name) stays a CDI name; a path is a device node.
      (text.startsWith("/") ? s.devices : s.cdiDevices).push(text);
    }
    if (raw.gpus !== undefined) s.cdiDevices.push("nvidia.com/gpu=all");
    if (raw.privileged === true) s.privileged = true;
    if (raw.read_only === true) s.readOnly = true;
    s.labels = pairs(raw.labels);
    const deps = Array.isArray(raw.depends_on)
      ? raw.depends_on.map(String)
      : isObj(raw.depends_on)
        ? Object.keys(raw.depends_on)
        : [];
    for (const d of deps) if (!s.dependsOn.includes(nameOf(d))) s.dependsOn.push(nameOf(d));
    if (isObj(raw.depends_on))
      for (const [d, cond] of Object.entries(raw.depends_on))
        if (isObj(cond) && cond.condition && cond.condition !== "service_started")
          gap(
            "depends_on",
            `condition ${cond.condition} of ${d}: systemd waits for the unit to start, not for it to be healthy or to finish`,
            String(cond.condition),
          );
    for (const l of strings(raw.links)) {
      const [other = "", alias] = l.split(":");
      if (!s.dependsOn.includes(nameOf(other))) s.dependsOn.push(nameOf(other));
      if (alias && alias !== other)
        gap(
          "links",
          `the link alias ${alias} for ${other} is not defined in Podman: use the service name on the shared network`,
          l,
        );
    }
    const logging = isObj(raw.logging) ? raw.logging : null;
    const driver = str(logging?.driver);
    if (driver === "journald" || driver === "k8s-file" || driver === "none") s.logDriver = driver;
    else if (driver && driver !== "json-file")
      gap("logging", `log driver ${driver} is not available in Podman (journald, k8s-file, none)`, driver);
    if (logging?.options) gap("logging", "log driver options are not carried over", logging.options);
    for (const h of isObj(raw.extra_hosts)
      ? Object.entries(raw.extra_hosts).map(([k, v]) => `${k}:${v}`)
      : strings(raw.extra_hosts))
      s.podmanArgs.push("--add-host", h);
    for (const d of strings(raw.dns)) s.podmanArgs.push("--dns", d);
    if (raw.shm_size !== undefined) s.podmanArgs.push("--shm-size", String(raw.shm_size));
    if (raw.init === true) s.podmanArgs.push("--init");
    for (const o of strings(raw.security_opt)) s.podmanArgs.push("--security-opt", o);
    for (const [k, v] of pairs(raw.sysctls)) s.podmanArgs.push("--sysctl", `${k}=${v}`);
    if (raw.mem_limit !== undefined) s.podmanArgs.push("--memory", String(raw.mem_limit));
    if (raw.cpus !== undefined) s.podmanArgs.push("--cpus", String(raw.cpus));
    if (raw.stop_grace_period !== undefined)
      s.podmanArgs.push("--stop-timeout", String(parseInt(String(raw.stop_grace_period), 10) || 10));
    deployKeys(raw.deploy, s, gap);
    for (const key of Object.keys(raw))
      if (!KNOWN.has(key) && !key.startsWith("x-"))
        gap(key, `the compose key ${key} is not carried into Podman units`, raw[key]);
    services.push(s);
  }
  const networks: NetworkSpec[] = [];
  for (const key of usedNetworks) {
    const n = topNetworks[key];
    if (isObj(n) && n.external === true) {
      gaps.push({
        object: networkName(key),
        option: "external",
        reason:
          "an external network is not created by this project: create it in Podman first (podlift migrate networks)",
      });
      continue;
    }
    const ipam = isObj(n) && isObj(n.ipam) ? n.ipam : {};
    networks.push({
      name: networkName(key),
      ...(isObj(n) && n.driver && n.driver !== "bridge" ? { driver: String(n.driver) } : {}),
      subnets: (Array.isArray(ipam.config) ? ipam.config : [])
        .filter(isObj)
        .filter((c) => c.subnet)
        .map((c) => ({ subnet: String(c.subnet), ...(c.gateway ? { gateway: String(c.gateway) } : {}) })),
      internal: isObj(n) && n.internal === true,
      ipv6: isObj(n) && n.enable_ipv6 === true,
      labels: isObj(n) ? pairs(n.labels) : [],
    });
  }
  const volumes: VolumeSpec[] = [];
  for (const key of Object.keys(topVolumes)) {
    const v = topVolumes[key];
    const name = volumeName(key);
    if (!usedVolumes.has(name)) continue;
    if (isObj(v) && v.external === true) {
      gaps.push({
        object: name,
        option: "external",
        reason:
          "an external volume is not created by this project: migrate it first (podlift migrate volumes)",
      });
      continue;
    }
    volumes.push({
      name,
      ...(isObj(v) && v.driver && v.driver !== "local" ? { driver: String(v.driver) } : {}),
      options: isObj(v) ? pairs(v.driver_opts) : [],
      labels: isObj(v) ? pairs(v.labels) : [],
    });
  }
  // A short-syntax volume name not declared at the top level is an error in Compose; here a unit.
  for (const name of usedVolumes)
    if (!volumes.some((v) => v.name === name) && !gaps.some((g) => g.object === name))
      volumes.push({ name, options: [], labels: [] });
  const carried: Record<string, number> = {};
  for (const s of services) countCarried(s, carried);
  return { source: p.file, services, volumes, networks, gaps, carried };
}

/** deploy: GPU reservations become CDI devices and limits podman flags; swarm keys are gaps. */
function deployKeys(deploy: unknown, s: ServiceSpec, gap: (o: string, r: string, v?: unknown) => void): void {
  if (!isObj(deploy)) return;
  for (const [key, value] of Object.entries(deploy)) {
    if (key !== "resources") {
      gap(
        `deploy.${key}`,
        "a swarm deploy key: Podman has no swarm; systemd runs one container per unit",
        value,
      );
      continue;
    }
    const res = isObj(value) ? value : {};
    const limits = isObj(res.limits) ? res.limits : {};
    if (limits.memory !== undefined) s.podmanArgs.push("--memory", String(limits.memory));
    if (limits.cpus !== undefined) s.podmanArgs.push("--cpus", String(limits.cpus));
    const reservations = isObj(res.reservations) ? res.reservations : {};
    for (const d of Array.isArray(reservations.devices) ? reservations.devices : []) {
      if (!isObj(d) || !strings(d.capabilities).includes("gpu")) {
        gap("deploy.resources.reservations.devices", "only GPU reservations map to CDI devices", d);
        continue;
      }
      const ids = strings(d.device_ids);
      if (ids.length > 0) for (const id of ids) s.cdiDevices.push(`nvidia.com/gpu=${id}`);
      else if (d.count === "all" || d.count === undefined) s.cdiDevices.push("nvidia.com/gpu=all");
      else for (let i = 0; i < Number(d.count); i++) s.cdiDevices.push(`nvidia.com/gpu=${i}`);
    }
    for (const k of Object.keys(reservations))
      if (k !== "devices")
        gap(
          `deploy.resources.reservations.${k}`,
          "reservations other than devices have no Podman flag",
          reservations[k],
        );
  }
}
