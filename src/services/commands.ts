// Hosts without systemd: the exact `podman` commands, each argument shell-quoted, as a script
// podlift writes and prints. Containers keep their --restart policy; at boot, what
// podman-restart.service does on systemd hosts (`podman start --all --filter
// restart-policy=always`) has to be run by the host's own init.
// https://docs.podman.io/en/latest/markdown/podman-start.1.html
import { shellLine } from "../text/safe-text.js";
import type { Inventory } from "./model.js";
import { networkCreateArgs, podmanRunArgs, volumeCreateArgs } from "./podman-args.js";

export const RESTART_ALL = ["podman", "start", "--all", "--filter", "restart-policy=always"];

/** Every command, in order: networks, volumes, then containers (dependencies first). */
export function createCommands(inv: Inventory, ordered: Inventory["services"]): string[][] {
  return [
    ...inv.networks.map((n) => ["podman", ...networkCreateArgs(n)]),
    ...inv.volumes.map((v) => ["podman", ...volumeCreateArgs(v)]),
    ...ordered.map((s) => ["podman", "create", ...podmanRunArgs(s)]),
  ];
}

export function commandScript(inv: Inventory, ordered: Inventory["services"], user: string | null): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a comment line must stay one line
  const source = inv.source.replace(/[\u0000-\u001f\u007f]/g, "?");
  const lines = [
    "#!/bin/sh",
    `# Written by podlift migrate services from ${source}`,
    `# No systemd on this host: run this once${user ? ` as ${user}` : ""} to create the containers, then`,
    `# have the host's init run \`${shellLine(RESTART_ALL)}\` at boot${user ? ` as ${user}` : ""} (what`,
    "# podman-restart.service does where systemd runs), and start them now the same way.",
    "set -e",
    ...createCommands(inv, ordered).map((argv) => shellLine(argv)),
    "",
  ];
  return lines.join("\n");
}
