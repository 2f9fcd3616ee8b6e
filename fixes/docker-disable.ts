// Stops Docker's engine where systemd runs it, so /var/run/docker.sock stops leading clients to
// Docker. Risky: every container Docker still runs stops with it, so migrate first. Undo enables
// and starts the same units again.
// https://docs.docker.com/engine/install/linux-postinstall/#configure-docker-to-start-on-boot-with-systemd

import type { Fix } from "../src/fix/types.js";
import { hasSystemd } from "../src/host/systemd.js";
import type { Host } from "../src/host/types.js";
import { installHint } from "../src/parse/distro.js";

const UNIT_DIRS = ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];

/** The Docker units systemd knows on this host, socket last (as `systemctl disable` lists them). */
export async function dockerUnits(host: Host): Promise<string[]> {
  const out: string[] = [];
  for (const unit of ["docker.service", "docker.socket"]) {
    for (const dir of UNIT_DIRS) {
      if ((await host.stat(`${dir}/${unit}`)) !== null) {
        out.push(unit);
        break;
      }
    }
  }
  return out;
}

export const fix: Fix = {
  id: "docker-disable",
  title: "Stop and disable Docker's engine",
  addresses: ["docker.engine-answers", "docker.engine-hung", "docker.engine-running"],
  risk: "confirm",
  async plan({ host, facts }) {
    if (!(await hasSystemd(host))) {
      return "this host has no systemd: stop dockerd from your init system (e.g. rc-service docker stop; rc-update del docker)";
    }
    const units = await dockerUnits(host);
    if (!units.includes("docker.service")) {
      return "no docker.service unit in /etc/systemd/system or /usr/lib/systemd/system: find what runs dockerd (ps -ef | grep dockerd) and stop it there";
    }
    return {
      summary: `Docker's engine stops now and no longer starts at boot (${units.join(", ")}); its containers stop with it.`,
      changes: [
        {
          kind: "command",
          argv: ["systemctl", "disable", "--now", ...units],
          why: "stop Docker and keep it from starting at boot",
          needsRoot: true,
          undo: ["systemctl", "enable", "--now", ...[...units].reverse()],
        },
      ],
      notes: [
        "Migrate first: containers, volumes and images Docker still holds stay on disk but stop running (podlift migrate).",
        `Then give Docker clients Podman instead: ${installHint(facts, { debian: "podman-docker" })} (a \`docker\` that runs podman, and /var/run/docker.sock leading to Podman's socket).`,
      ],
    };
  },
};
