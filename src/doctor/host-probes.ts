// Small host reads that several parts of podlift need: the doctor's checks and the compose rules'
// facts. Each runs at most once per fact gathering, on first use, and everyone shares the answer
// (as podman-facts.ts does for `podman info`); a fix's verification gathers facts afresh.
import { listeningSockets } from "../compose-check/facts.js";
import type { Listener } from "../compose-check/types.js";
import type { CommandResult, Host, UserInfo } from "../host/types.js";
import { userEnv } from "./podman-facts.js";

/** The commands that answer when a compose provider is installed. */
export const COMPOSE_PROVIDERS = [
  ["podman-compose", "--version"],
  ["docker-compose", "--version"],
  ["docker", "compose", "version"],
] as const;

export interface HostProbes {
  /** net.ipv4.ip_unprivileged_port_start as read (null: no such key) and as it applies (1024 then). */
  portStart(): Promise<{ raw: string | null; start: number }>;
  /** /sys/fs/selinux/enforce as read; null when SELinux is off or absent. */
  selinuxEnforce(): Promise<string | null>;
  /** Each compose provider's version command, in COMPOSE_PROVIDERS order (4 s each). */
  composeProviders(): Promise<CommandResult[]>;
  /** Every device the readable, valid CDI specs name, as kind=name; unreadable specs are left out. */
  cdiDevices(): Promise<string[]>;
  /** Listening tcp and bound udp sockets from /proc/net (owners as root); undefined when unreadable. */
  listening(): Promise<Listener[] | undefined>;
  /**
   * podman-compose and docker-compose in the user's own ~/.local/bin and ~/bin (pip --user puts
   * them there, off root's PATH): each executable one run with --version as that user (4 s).
   */
  userComposeProviders(user: UserInfo): Promise<UserComposeProvider[]>;
}

/** The folders, under a user's home, where pip --user and hand installs put programs. */
export const USER_BIN_DIRS = [".local/bin", "bin"];

export interface UserComposeProvider {
  /** The folder, e.g. /home/alice/.local/bin, and the program's full path in it. */
  dir: string;
  path: string;
  name: "podman-compose" | "docker-compose";
  result: CommandResult;
}

async function findUserComposeProviders(host: Host, user: UserInfo): Promise<UserComposeProvider[]> {
  const asOther = user.name !== host.currentUser().name;
  const found: Omit<UserComposeProvider, "result">[] = [];
  for (const dir of USER_BIN_DIRS.map((d) => `${user.home}/${d}`)) {
    for (const name of ["podman-compose", "docker-compose"] as const) {
      const info = await host.stat(`${dir}/${name}`);
      if (info?.type === "file" && (info.mode & 0o111) !== 0)
        found.push({ dir, path: `${dir}/${name}`, name });
    }
  }
  if (found.length === 0) return [];
  const env = await userEnv(host, user);
  // All at once, as composeProviders: a hung one costs 4 s, not 4 s each.
  return Promise.all(
    found.map(async (f) => ({
      ...f,
      result: await host.run([f.path, "--version"], {
        timeoutMs: 4000,
        user: asOther ? user.name : undefined,
        env,
      }),
    })),
  );
}

export function hostProbes(host: Host): HostProbes {
  const once = <T>(read: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => {
      value ??= read();
      return value;
    };
  };
  return {
    portStart: once(async () => {
      const raw = await host.readSysctl("net.ipv4.ip_unprivileged_port_start");
      // Kernels before 4.11 have no such key: the classic 1024 rule holds.
      return { raw, start: raw !== null && /^\d+$/.test(raw) ? Number(raw) : 1024 };
    }),
    selinuxEnforce: once(() => host.readFile("/sys/fs/selinux/enforce")),
    composeProviders: once(() =>
      Promise.all(COMPOSE_PROVIDERS.map((argv) => host.run([...argv], { timeoutMs: 4000 }))),
    ),
    cdiDevices: once(async () => {
      // Loaded on first use: the YAML parser is not on the doctor's path to its first command.
      const { CDI_DIRS, parseSpec } = await import("../../checks/cdi-specs.js");
      const out: string[] = [];
      for (const dir of CDI_DIRS) {
        for (const name of (await host.listDir(dir).catch(() => null)) ?? []) {
          const text = await host.readFile(`${dir}/${name}`).catch(() => null);
          if (text === null) continue;
          const spec = parseSpec(`${dir}/${name}`, text);
          if ("devices" in spec) out.push(...spec.devices.map((d) => `${spec.kind}=${d}`));
        }
      }
      return out;
    }),
    listening: once(() => listeningSockets(host)),
    userComposeProviders: (() => {
      const byUser = new Map<string, Promise<UserComposeProvider[]>>();
      return (user: UserInfo) => {
        let found = byUser.get(user.name);
        if (found === undefined) {
          found = findUserComposeProviders(host, user);
          byUser.set(user.name, found);
        }
        return found;
      };
    })(),
  };
}
