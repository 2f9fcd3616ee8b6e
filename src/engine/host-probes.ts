// Small host reads that several parts of podlift need: the doctor's checks and the compose rules'
// facts. Each runs at most once per fact gathering, on first use, and everyone shares the answer
// (as podman-facts.ts does for `podman info`); a fix's verification gathers facts afresh.
import { CDI_DIRS, parseSpec } from "../../checks/cdi-specs.js";
import { listeningSockets } from "../compose-check/facts.js";
import type { Listener } from "../compose-check/types.js";
import type { CommandResult, Host } from "../host/types.js";

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
  };
}
