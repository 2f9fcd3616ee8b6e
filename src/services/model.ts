// What podlift knows about one Docker container or compose service, engine-neutral: the input
// of every unit writer (Quadlet, `podman generate systemd` style, `podman create` lines).
// https://docs.podman.io/en/latest/markdown/podman-systemd.unit.5.html

export interface PortSpec {
  hostIp?: string;
  hostPort?: string;
  containerPort: string;
  protocol: "tcp" | "udp" | "sctp";
}

export interface MountSpec {
  kind: "volume" | "bind" | "tmpfs";
  /** Volume name or host path; empty for tmpfs. */
  source: string;
  target: string;
  /** ro, z, Z, U, nocopy... */
  options: string[];
}

export interface HealthSpec {
  /** CMD form as an array, CMD-SHELL as one string. */
  test: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  startPeriod?: string;
}

export interface ServiceSpec {
  /** The container name, also the unit's base name. */
  name: string;
  /** The compose project it belongs to, if any. */
  project?: string;
  /** The compose service name (a network alias other services reach it by). */
  service?: string;
  image: string;
  entrypoint?: string[];
  command?: string[];
  env: [string, string][];
  /** Host paths of env files: referenced (EnvironmentFile=), never copied. */
  envFiles: string[];
  ports: PortSpec[];
  publishAll?: boolean;
  mounts: MountSpec[];
  /** Named networks; "host" / "none" for those modes; empty for the engine's default network. */
  networks: string[];
  /** Extra names on its networks (the compose service name). */
  aliases: string[];
  restart: "no" | "always" | "on-failure" | "unless-stopped";
  /** on-failure:N (podman run takes it; systemd's Restart= does not). */
  restartRetries?: number;
  health?: HealthSpec;
  user?: string;
  capAdd: string[];
  capDrop: string[];
  /** host[:container[:perms]] device paths. */
  devices: string[];
  /** CDI device names (nvidia.com/gpu=all). */
  cdiDevices: string[];
  labels: [string, string][];
  /** Container names this one needs started first (depends_on, links). */
  dependsOn: string[];
  workdir?: string;
  hostname?: string;
  privileged?: boolean;
  readOnly?: boolean;
  logDriver?: "journald" | "k8s-file" | "none";
  /** Options with no Quadlet key of their own, as `podman run` flags (PodmanArgs=). */
  podmanArgs: string[];
}

export interface VolumeSpec {
  name: string;
  driver?: string;
  /** local driver options: type, device, o. */
  options: [string, string][];
  labels: [string, string][];
}

export interface NetworkSpec {
  name: string;
  driver?: string;
  subnets: { subnet: string; gateway?: string }[];
  internal: boolean;
  ipv6: boolean;
  labels: [string, string][];
}

/** Something the source has that Podman units cannot say: reported, never dropped silently. */
export interface Gap {
  /** Container, volume, network or project the gap is in. */
  object: string;
  option: string;
  value?: string;
  reason: string;
}

export interface Inventory {
  /** Where it came from: "docker engine unix:///..." or a compose file. */
  source: string;
  services: ServiceSpec[];
  volumes: VolumeSpec[];
  networks: NetworkSpec[];
  gaps: Gap[];
  /** Options carried over, counted per kind ("ports", "env"...), for the report. */
  carried: Record<string, number>;
}

export function emptyService(name: string, image: string): ServiceSpec {
  return {
    name,
    image,
    env: [],
    envFiles: [],
    ports: [],
    mounts: [],
    networks: [],
    aliases: [],
    restart: "no",
    capAdd: [],
    capDrop: [],
    devices: [],
    cdiDevices: [],
    labels: [],
    dependsOn: [],
    podmanArgs: [],
  };
}

/** Counts the options a service carries, by kind, into `into`. */
export function countCarried(s: ServiceSpec, into: Record<string, number>): void {
  const add = (k: string, n: number) => {
    if (n > 0) into[k] = (into[k] ?? 0) + n;
  };
  add("image", 1);
  add("entrypoint", s.entrypoint ? 1 : 0);
  add("command", s.command ? 1 : 0);
  add("env", s.env.length);
  add("envFiles", s.envFiles.length);
  add("ports", s.ports.length + (s.publishAll ? 1 : 0));
  add("mounts", s.mounts.length);
  add("networks", s.networks.length);
  add("restart", s.restart === "no" ? 0 : 1);
  add("healthcheck", s.health ? 1 : 0);
  add("user", s.user ? 1 : 0);
  add("capabilities", s.capAdd.length + s.capDrop.length);
  add("devices", s.devices.length + s.cdiDevices.length);
  add("labels", s.labels.length);
  add("dependencies", s.dependsOn.length);
  add("other", (s.workdir ? 1 : 0) + (s.hostname ? 1 : 0) + (s.privileged ? 1 : 0) + (s.readOnly ? 1 : 0));
  add("podmanArgs", s.podmanArgs.length);
}
