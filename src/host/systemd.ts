// Whether systemd runs this host: many hosts that run containers have none (containers, WSL
// without systemd=true, minimal VMs), and every remedy that says `systemctl` is void there.
import type { Host } from "./types.js";

export async function pid1(host: Host): Promise<string | null> {
  return (await host.readFile("/proc/1/comm"))?.trim() ?? null;
}

export async function hasSystemd(host: Host): Promise<boolean> {
  return (await host.stat("/run/systemd/system"))?.type === "dir";
}
