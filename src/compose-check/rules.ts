// What in a compose project behaves differently or breaks under Podman, each rule a finding with
// a stable code, the file position, why, and what to write instead. Host facts (rootless or not,
// the unprivileged port start, SELinux, CDI devices) decide which rules apply.
import path from "node:path";
import semver from "semver";
import { bindMount, publishedPorts } from "../compose.js";
import { bindSourceOnHost, refusesRelabel } from "../selinux-paths.js";
import type { Loaded, Position } from "./load.js";

export interface ComposeFinding {
  code: string;
  status: "warn" | "fail";
  service: string | null;
  message: string;
  remedy: string;
  at: Position;
}

export interface HostContext {
  rootless: boolean;
  userName: string;
  uid: number;
  portStart: number;
  selinuxEnforcing: boolean;
  cdiDevices: string[];
  /** The installed podman-compose version, or null when none answers. */
  podmanCompose?: string | null;
  /** The home of the user who runs the project (what ~ in a bind source means). */
  home?: string;
  /** Every home on the host (/etc/passwd, /home/*): never relabelled, nor what holds them. */
  homes?: string[];
  /**
   * Images a Docker engine that answers holds only locally (built or tagged here, no registry
   * digest), as name:tag (see imageTag); undefined when no engine answers.
   */
  localImages?: Set<string>;
}

// podman-compose started every dependency unconditionally until conditional depends_on landed
// (containers/podman-compose#866, fixed by #1082 and #1184, released by 1.4.0); Debian 12 ships 1.0.6.
const CONDITIONS_FROM = "1.4.0";

type Service = Record<string, unknown>;
const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

// Top-level and service keys of the Compose specification; anything else (but x- extensions) is
// a typo or a tool-specific key that Podman's compose providers may reject or ignore.
// https://github.com/compose-spec/compose-spec/blob/main/05-services.md
const TOP_KEYS = new Set([
  "version",
  "name",
  "include",
  "services",
  "networks",
  "volumes",
  "configs",
  "secrets",
  "models",
]);
const SERVICE_KEYS = new Set(
  (
    "annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name cpu_count " +
    "cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset credential_spec depends_on deploy " +
    "develop device_cgroup_rules devices dns dns_opt dns_search domainname driver_opts entrypoint env_file environment expose " +
    "extends external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels label_file links " +
    "logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit models network_mode networks oom_kill_disable " +
    "oom_score_adj pid pids_limit platform ports post_start pre_stop privileged profiles provider pull_policy read_only restart " +
    "runtime scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty " +
    "ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir"
  ).split(" "),
);

export function checkProject(p: Loaded, host: HostContext): ComposeFinding[] {
  const out: ComposeFinding[] = p.problems.map((x) => ({
    code: x.code,
    status: x.status,
    service: null,
    message: x.message,
    remedy:
      x.code === "compose.yaml-invalid"
        ? "Correct the YAML at that position."
        : "Set the variable in the environment or in .env next to the compose file.",
    at: x.at,
  }));
  const services = (p.data.services ?? {}) as Record<string, Service>;
  if (typeof services !== "object" || services === null || Array.isArray(services)) {
    if (p.problems.length === 0)
      out.push({
        code: "compose.no-services",
        status: "fail",
        service: null,
        message: 'no "services" mapping: is this a compose file?',
        remedy: "Name the services under a top-level services: key.",
        at: { line: 1, col: 1 },
      });
    return out;
  }
  const at = (key: string) => p.positions.get(key) ?? { line: 1, col: 1 };
  const unknown = (key: string, where: string, known: Set<string>, scope: string, service: string | null) => {
    if (known.has(key) || key.startsWith("x-")) return;
    out.push({
      code: "compose.unknown-key",
      status: "warn",
      service,
      message: `${scope} key "${key}" is not in the Compose specification: a typo, or a key only one tool knows`,
      remedy: `Check the spelling; prefix tool-specific keys with x- so every compose provider ignores them.`,
      at: p.positions.get(`key:${where}`) ?? at(where),
    });
  };
  for (const key of Object.keys(p.data)) unknown(key, key, TOP_KEYS, "top-level", null);
  const podmanSocket = host.rootless ? `/run/user/${host.uid}/podman/podman.sock` : "/run/podman/podman.sock";
  // Networks the project creates without a fixed name: their names are generated.
  const declared = (p.data.networks ?? {}) as Record<string, Service | null>;
  const projectNetworks = [
    "default",
    ...Object.keys(declared).filter((k) => !declared[k]?.external && !declared[k]?.name),
  ];
  const composeDir = path.dirname(p.file);
  for (const [name, svc] of Object.entries(services)) {
    if (!svc || typeof svc !== "object") continue;
    const base = `services.${name}`;
    const add = (f: Omit<ComposeFinding, "service">) => out.push({ ...f, service: name });
    for (const key of Object.keys(svc)) unknown(key, `${base}.${key}`, SERVICE_KEYS, "service", name);

    // Volumes: the engine socket, SELinux labels.
    for (const [i, v] of ((svc.volumes as unknown[]) ?? []).entries()) {
      const mounted = bindMount(v);
      if (mounted === null) continue; // a named volume
      const { source, options, long } = mounted;
      const where = at(`${base}.volumes.${i}`);
      if (DOCKER_SOCKETS.includes(source)) {
        add({
          code: "compose.docker-socket",
          status: "warn",
          message: `mounts Docker's socket ${source}; under Podman nothing listens there unless podman-docker or a Podman socket is set up`,
          remedy: `Mount Podman's socket instead: ${podmanSocket}:${source}${host.selinuxEnforcing ? ":z" : ""} (start it with systemctl ${host.rootless ? "--user " : ""}enable --now podman.socket)`,
          at: where,
        });
      }
      // The socket's own finding already says to label it.
      const unlabeled =
        host.selinuxEnforcing &&
        !DOCKER_SOCKETS.includes(source) &&
        !options.some((o) => o === "z" || o === "Z");
      const onHost = unlabeled ? bindSourceOnHost(source, composeDir, host.home) : "";
      if (unlabeled && refusesRelabel(onHost, host.homes)) {
        // The same rule as the selinux-compose-labels fix: no :z edit is offered for these.
        add({
          code: "compose.bind-system-folder",
          status: "fail",
          message: `bind mount of ${source} has no :z/:Z on this SELinux-enforcing host: the container is denied access; no :z offered: ${onHost} is a system folder or home; relabelling it can lock users out (sshd can no longer read ~/.ssh)`,
          remedy:
            "Bind a subfolder that belongs to the app and label that (:z), or label this folder by hand if you are sure; podlift never relabels system folders and homes.",
          at: where,
        });
      } else if (unlabeled) {
        add({
          code: "compose.bind-unlabeled",
          status: "fail",
          message: `bind mount of ${source} has no :z/:Z on this SELinux-enforcing host: the container is denied access`,
          remedy: long
            ? "Add bind: { selinux: z } to the mount."
            : `Write ${String(v)}:z (or ,z after other options); never on system folders`,
          at: where,
        });
      }
      if (host.rootless && typeof svc.user === "string" && svc.userns_mode === undefined) {
        add({
          code: "compose.user-bind-ownership",
          status: "warn",
          message: `runs as user ${svc.user} with a bind mount of ${source}: rootless, files it writes there belong to a subordinate id on the host, not to ${host.userName}`,
          remedy:
            "Add userns_mode: keep-id (the container user maps to yours), or chown the folder with podman unshare.",
          at: where,
        });
      }
    }
    // Environment: DOCKER_HOST.
    const env = svc.environment;
    const entries = Array.isArray(env)
      ? env.map((e) => String(e).split(/=(.*)/s).slice(0, 2))
      : Object.entries((env as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v ?? "")]);
    for (const [i, [key, value]] of entries.entries()) {
      const netKey = projectNetworks.find((n) => value === `${p.project}_${n}`);
      if (netKey !== undefined) {
        add({
          code: "compose.network-name-assumption",
          status: "warn",
          message: `${key}=${value} spells out the generated network name <project>_${netKey}, which depends on how each compose tool derives the project name (folder name, -p, name:)`,
          remedy: `Give the network a fixed name (networks: ${netKey}: name: ${value}) so every tool creates exactly that network.`,
          at: at(Array.isArray(env) ? `${base}.environment.${i}` : `${base}.environment.${key}`),
        });
      }
      if (key === "DOCKER_HOST") {
        add({
          code: "compose.docker-host",
          status: "warn",
          message: `sets DOCKER_HOST=${value}: the container will talk to whatever listens there`,
          remedy: `Point it at the Podman socket mounted into the container (unix://${podmanSocket} on the host).`,
          at: at(Array.isArray(env) ? `${base}.environment.${i}` : `${base}.environment.${key}`),
        });
      }
    }
    // Ports.
    if (host.rootless) {
      for (const [i, port] of ((svc.ports as unknown[]) ?? []).entries()) {
        const hostPort = publishedPorts(port)[0]?.hostPort ?? null;
        if (hostPort !== null && hostPort < host.portStart) {
          add({
            code: "compose.privileged-port",
            status: "fail",
            message: `publishes port ${hostPort}, below net.ipv4.ip_unprivileged_port_start (${host.portStart}): rootless Podman cannot bind it`,
            remedy: `Publish a high port (${hostPort + 8000}) and redirect, or podlift fix --only unprivileged-ports.`,
            at: at(`${base}.ports.${i}`),
          });
        }
      }
      if (svc.network_mode === "host") {
        add({
          code: "compose.host-network-rootless",
          status: "warn",
          message:
            "network_mode: host under rootless Podman shares the host's network but cannot bind ports below the unprivileged start, and does not see rootful networks",
          remedy: "Publish ports instead, or run this service rootful.",
          at: at(`${base}.network_mode`),
        });
      }
      if (svc.privileged === true) {
        add({
          code: "compose.privileged-rootless",
          status: "warn",
          message:
            "privileged: true under rootless Podman grants only what your user has: device access and kernel settings still fail",
          remedy:
            "Request the devices and capabilities the service really needs (devices:, cap_add:), or run it rootful.",
          at: at(`${base}.privileged`),
        });
      }
    }
    if (svc.userns_mode === "host" && host.rootless) {
      add({
        code: "compose.userns-host",
        status: "warn",
        message: "userns_mode: host is meaningless rootless: the container is always in your user namespace",
        remedy: "Remove it, or use keep-id.",
        at: at(`${base}.userns_mode`),
      });
    }
    // depends_on conditions.
    const deps = svc.depends_on;
    if (deps && typeof deps === "object" && !Array.isArray(deps)) {
      for (const [dep, spec] of Object.entries(deps as Record<string, Service | null>)) {
        const condition = spec?.condition;
        if (typeof condition !== "string" || condition === "service_started") continue;
        const v = host.podmanCompose ?? null;
        if (
          v !== null &&
          semver.valid(semver.coerce(v)) &&
          semver.gte(semver.coerce(v) as semver.SemVer, CONDITIONS_FROM)
        )
          continue;
        add({
          code: "compose.depends-on-condition",
          status: "warn",
          message: `waits for ${dep} to be ${condition.replace("service_", "")}; podman-compose ${v ?? "(not installed here)"} ${v ? "starts it without waiting" : `honours this only from ${CONDITIONS_FROM}`}`,
          remedy: `Use podman-compose ${CONDITIONS_FROM} or later, or docker-compose against the Podman socket; or make the service retry until ${dep} is ready.`,
          at: at(`${base}.depends_on.${dep}`),
        });
      }
    }
    // Images. A service that builds its image names it: nothing is pulled, nothing to qualify.
    const image = typeof svc.image === "string" && svc.build === undefined ? svc.image : null;
    if (image !== null && isShortName(image) && host.localImages?.has(imageTag(image))) {
      add({
        code: "compose.local-image",
        status: "warn",
        message: `image ${image} exists only in Docker's local storage (built or tagged on this host, in no registry): Podman cannot pull it, and docker.io/library/… would name another image or none`,
        remedy: `Move it into Podman (docker save ${imageTag(image)} | podman load, as the user who runs the project), or tag it localhost/${imageTag(image)} and write image: localhost/${imageTag(image)}; or give the service a build: section.`,
        at: at(`${base}.image`),
      });
    } else if (image !== null && isShortName(image)) {
      add({
        code: "compose.short-image",
        status: "warn",
        message: `image ${image} has no registry: Docker assumes docker.io, Podman asks its search registries (or fails without a terminal)`,
        remedy: `Write image: ${qualify(image)}`,
        at: at(`${base}.image`),
      });
    }
    // GPUs.
    const devices =
      ((((svc.deploy as Service)?.resources as Service)?.reservations as Service)?.devices as Service[]) ??
      [];
    for (const [i, d] of devices.entries()) {
      const caps = (d?.capabilities as string[] | undefined) ?? [];
      if (d?.driver === "nvidia" || caps.includes("gpu")) {
        const cdi = host.cdiDevices.find((x) => x.startsWith("nvidia.com/gpu=")) ?? null;
        add({
          code: "compose.gpu-request",
          status: host.cdiDevices.length === 0 ? "fail" : "warn",
          message: `requests a GPU through deploy.resources (Docker's NVIDIA runtime); Podman hands GPUs over as CDI devices${host.cdiDevices.length === 0 ? ", and this host has no CDI spec" : ""}`,
          remedy: `Use devices: [${cdi ? "nvidia.com/gpu=all" : "nvidia.com/gpu=all (after nvidia-ctk cdi generate)"}].`,
          at: at(`${base}.deploy.resources.reservations.devices.${i}`),
        });
      }
    }
    if (svc.runtime === "nvidia") {
      add({
        code: "compose.nvidia-runtime",
        status: "warn",
        message: "runtime: nvidia is Docker's; Podman uses CDI devices",
        remedy: "Remove runtime: and add devices: [nvidia.com/gpu=all].",
        at: at(`${base}.runtime`),
      });
    }
  }
  // Networks: external ones must exist in Podman under that exact name.
  for (const [key, net] of Object.entries((p.data.networks ?? {}) as Record<string, Service | null>)) {
    if (net?.external) {
      const netName = typeof net.name === "string" ? net.name : key;
      out.push({
        code: "compose.external-network",
        status: "warn",
        service: null,
        message: `external network ${netName} must exist in Podman; Docker's networks do not come along`,
        remedy: `podman network create ${netName}${host.rootless ? " (as the user who runs the project)" : ""}`,
        at: at(`networks.${key}`),
      });
    }
  }
  return out.sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col);
}

export function isShortName(image: string): boolean {
  const first = image.split("/")[0] ?? "";
  return !(image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost"));
}

/** A short image name as Docker lists it in RepoTags: name:tag, the tag "latest" when none is given. */
export function imageTag(image: string): string {
  if (image.includes("@")) return image;
  const slash = image.lastIndexOf("/");
  return image.indexOf(":", slash + 1) >= 0 ? image : `${image}:latest`;
}

export function qualify(image: string): string {
  return image.includes("/") ? `docker.io/${image}` : `docker.io/library/${image}`;
}
