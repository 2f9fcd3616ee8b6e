// Starts Podman's Docker-compatible API socket through systemd: the user's podman.socket for a
// rootless target, the system one for root. Never touches /var/run/docker.sock.
// https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
import { asUser } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";
import { hasSystemd } from "../src/host/systemd.js";

export const fix: Fix = {
  id: "podman-socket",
  title: "Enable podman.socket",
  addresses: ["socket.absent", "socket.stale"],
  risk: "safe",
  async plan({ host, facts }, findings) {
    const user = facts.targetUser;
    const own = facts.rootful ? "/run/podman/podman.sock" : `/run/user/${user.uid}/podman/podman.sock`;
    if (!findings.some((f) => String(f.evidence?.path ?? "").endsWith("/podman/podman.sock"))) {
      return "the missing socket is not a Podman socket";
    }
    if (!(await hasSystemd(host))) {
      return `this host has no systemd: start the API yourself, e.g. \`podman system service --time=0 unix://${own}\` from your init system`;
    }
    if (facts.rootful) {
      return {
        summary: "The rootful Podman API listens at /run/podman/podman.sock, started on demand by systemd.",
        changes: [
          {
            kind: "command",
            argv: ["systemctl", "enable", "--now", "podman.socket"],
            why: "enable and start the system socket",
            needsRoot: true,
            undo: ["systemctl", "disable", "--now", "podman.socket"],
          },
        ],
        notes: [],
      };
    }
    if ((await host.stat(`/run/user/${user.uid}/systemd`)) === null) {
      return `${user.name} has no systemd user manager running; enable linger first (fix linger), then run podlift fix again`;
    }
    return {
      summary: `${user.name}'s rootless Podman API listens at ${own}, started on demand by systemd.`,
      changes: [
        {
          kind: "command",
          argv: ["systemctl", "--user", "enable", "--now", "podman.socket"],
          user: asUser(host, user),
          why: `enable and start ${user.name}'s podman.socket`,
          needsRoot: false,
          undo: ["systemctl", "--user", "disable", "--now", "podman.socket"],
        },
      ],
      notes: [`Point Docker clients at it: export DOCKER_HOST=unix://${own} (fix docker-host-profile).`],
    };
  },
};
