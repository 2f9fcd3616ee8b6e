// Lingering keeps a user's systemd manager (and so podman.socket and Quadlet units) running
// without a login session, and gives the user /run/user/UID at boot.
// https://www.freedesktop.org/software/systemd/man/latest/loginctl.html
import type { Fix } from "../src/fix/types.js";
import { hasSystemd } from "../src/host/systemd.js";

export const fix: Fix = {
  id: "linger",
  title: "Enable lingering for the user",
  addresses: ["linger.disabled", "systemd.user-manager-absent", "xdg.missing", "cgroups.no-user-slice"],
  risk: "safe",
  async plan({ host, facts }) {
    const user = facts.targetUser;
    if (facts.rootful) return "root needs no lingering";
    if (!(await hasSystemd(host))) return "this host has no systemd, so there is no lingering to enable";
    return {
      summary: `${user.name}'s services and containers keep running after logout and start at boot; /run/user/${user.uid} exists from boot on.`,
      changes: [
        {
          kind: "command",
          argv: ["loginctl", "enable-linger", user.name],
          why: `let ${user.name} linger`,
          needsRoot: true,
          undo: ["loginctl", "disable-linger", user.name],
        },
      ],
      notes: [],
    };
  },
};
