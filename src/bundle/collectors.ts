// What a support bundle holds: each collector names its file in the archive and how to get its
// content (a command as argv, or files of the host), with a timeout and a size cap. A collector
// that fails or times out is recorded, never fatal.
import { readComposeText } from "../compose/read.js";
import type { Host, UserInfo } from "../host/types.js";

export interface Collector {
  file: string;
  /** A command whose stdout is the content. */
  argv?: string[];
  /** Run as this user (rootless Podman). */
  user?: string;
  env?: Record<string, string>;
  /** Host files (or every file of a folder, when the path ends with /) whose contents are joined. */
  paths?: string[];
  /** Content podlift makes itself (the doctor's reports, the environment). */
  produce?: () => Promise<string>;
  timeoutMs?: number;
  maxBytes?: number;
  /** Keep only lines that start with one of these (the target user's subuid lines). */
  linesStartingWith?: string[];
}

export const DEFAULT_TIMEOUT_MS = 15000;
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

const SYSCTLS = [
  "user.max_user_namespaces",
  "kernel.unprivileged_userns_clone",
  "kernel.apparmor_restrict_unprivileged_userns",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ping_group_range",
];

export function collectors(options: {
  host: Host;
  user: UserInfo | null;
  userEnv?: Record<string, string>;
  compose: string[];
  dockerHost: string | null;
  /** Per command; the bundle's whole run is bounded by it too. */
  timeoutMs?: number;
}): Collector[] {
  const { user } = options;
  const podman = (file: string, args: string[]): Collector[] => [
    { file: `podman/rootful/${file}`, argv: ["podman", ...args] },
    ...(user
      ? [
          {
            file: `podman/rootless/${file}`,
            argv: ["podman", ...args],
            user: user.name,
            env: options.userEnv,
          },
        ]
      : []),
  ];
  const docker = options.dockerHost ? ["docker", "-H", options.dockerHost] : null;
  const home = user?.home;
  const list: Collector[] = [
    ...podman("info.json", ["info", "--format", "json"]),
    ...podman("version.txt", ["version"]),
    ...podman("system-df.txt", ["system", "df"]),
    ...podman("volumes.json", ["volume", "ls", "--format", "json"]),
    ...podman("volumes-inspect.json", ["volume", "inspect", "--all"]),
    ...podman("networks.json", ["network", "ls", "--format", "json"]),
    ...podman("containers.json", ["ps", "--all", "--format", "json"]),
    ...podman("images.json", ["images", "--format", "json"]),
    ...(docker
      ? [
          { file: "docker/info.txt", argv: [...docker, "info"] },
          { file: "docker/version.txt", argv: [...docker, "version"] },
          { file: "docker/volumes.txt", argv: [...docker, "volume", "ls"] },
          { file: "docker/containers.txt", argv: [...docker, "ps", "--all"] },
        ]
      : []),
    {
      file: "config/containers.conf",
      paths: [
        "/etc/containers/containers.conf",
        "/etc/containers/containers.conf.d/",
        "/usr/share/containers/containers.conf",
      ],
    },
    {
      file: "config/storage.conf",
      paths: ["/etc/containers/storage.conf", "/usr/share/containers/storage.conf"],
    },
    {
      file: "config/registries.conf",
      paths: ["/etc/containers/registries.conf", "/etc/containers/registries.conf.d/"],
    },
    { file: "config/policy.json", paths: ["/etc/containers/policy.json"] },
    { file: "config/docker-daemon.json", paths: ["/etc/docker/daemon.json"] },
    ...(home
      ? [
          {
            file: `config/user/containers.conf`,
            paths: [
              `${home}/.config/containers/containers.conf`,
              `${home}/.config/containers/containers.conf.d/`,
            ],
          },
          {
            file: `config/user/storage.conf`,
            paths: [`${home}/.config/containers/storage.conf`],
          },
          {
            file: `config/user/registries.conf`,
            paths: [`${home}/.config/containers/registries.conf`],
          },
          // Registry logins: only ever written redacted (every "auth" value goes).
          {
            file: `config/user/auth.json`,
            paths: [`${home}/.config/containers/auth.json`, `${home}/.docker/config.json`],
          },
        ]
      : []),
    { file: "config/root-auth.json", paths: ["/run/containers/0/auth.json", "/root/.docker/config.json"] },
    {
      file: "host/subuid-subgid.txt",
      paths: ["/etc/subuid", "/etc/subgid"],
      linesStartingWith: user ? [`${user.name}:`, `${user.uid}:`] : ["root:", "0:"],
    },
    {
      file: "host/sysctls.txt",
      produce: async () =>
        (
          await Promise.all(
            SYSCTLS.map(async (k) => `${k} = ${(await options.host.readSysctl(k)) ?? "(absent)"}`),
          )
        ).join("\n"),
    },
    { file: "host/cdi-specs.yaml", paths: ["/etc/cdi/", "/var/run/cdi/"] },
    { file: "host/selinux.txt", paths: ["/sys/fs/selinux/enforce", "/etc/selinux/config"] },
    { file: "host/apparmor.txt", argv: ["aa-status"] },
    {
      file: "host/cgroups.txt",
      paths: ["/sys/fs/cgroup/cgroup.controllers", "/proc/self/cgroup", "/proc/self/mountinfo"],
    },
    { file: "host/os-release.txt", paths: ["/etc/os-release"] },
    { file: "host/uname.txt", argv: ["uname", "-a"] },
    // The machine as systeminformation sees it (live host only: a mounted root is not this
    // machine). Serial numbers and UUIDs stay out: a bundle leaves the host.
    ...(options.host.isLive
      ? [{ file: "host/system.json", produce: () => machineSummary(), timeoutMs: 10000 }]
      : []),
    { file: "host/limits.txt", paths: ["/proc/self/limits"] },
    // Compose files are the user's input on this machine, not files of the (possibly mounted) host root.
    ...options.compose.map((c, i) => ({
      file: `compose/${i + 1}-${c.split("/").at(-1)}`,
      // The one bounded reader: a FIFO is refused at once, /dev/zero never read.
      produce: async () => (await readComposeText(c)) ?? "(no such file)",
    })),
    {
      file: "logs/podman-journal.txt",
      argv: [
        "journalctl",
        "--no-pager",
        "-n",
        "500",
        "--since",
        "-24h",
        "-u",
        "podman.service",
        "-u",
        "podman.socket",
      ],
      timeoutMs: 10000,
    },
    {
      file: "logs/docker-journal.txt",
      argv: ["journalctl", "--no-pager", "-n", "500", "--since", "-24h", "-u", "docker.service"],
      timeoutMs: 10000,
    },
    { file: "logs/docker.log", paths: ["/var/log/docker.log"], maxBytes: 512 * 1024 },
  ];
  const limit = options.timeoutMs;
  return limit ? list.map((c) => ({ ...c, timeoutMs: Math.min(c.timeoutMs ?? limit, limit) })) : list;
}

/** Hardware, hypervisor and memory from systeminformation, without identifiers. */
async function machineSummary(): Promise<string> {
  const si = await import("systeminformation");
  const [system, cpu, mem] = await Promise.all([si.system(), si.cpu(), si.mem()]);
  return `${JSON.stringify(
    {
      system: {
        manufacturer: system.manufacturer,
        model: system.model,
        version: system.version,
        virtual: system.virtual,
        virtualHost: system.virtualHost ?? null,
      },
      cpu: {
        manufacturer: cpu.manufacturer,
        brand: cpu.brand,
        cores: cpu.cores,
        physicalCores: cpu.physicalCores,
        virtualization: cpu.virtualization,
      },
      memory: { total: mem.total, available: mem.available, swapTotal: mem.swaptotal },
    },
    null,
    2,
  )}\n`;
}
