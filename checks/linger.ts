// A rootless user's services (podman.socket, Quadlet units, `podman generate systemd` units)
// are stopped at logout unless the user lingers: /var/lib/systemd/linger/<user>.
// https://www.freedesktop.org/software/systemd/man/latest/loginctl.html (enable-linger)
import type { Check, Finding } from "../src/doctor/types.js";
import { hasSystemd } from "../src/host/systemd.js";
import { shellQuote } from "../src/text/safe-text.js";

export const check: Check = {
  id: "linger",
  title: "Lingering for user services",
  docs: "docs/checks/linger.md",
  applies: (facts) => (facts.rootful ? "the target user is root: system services need no linger" : true),
  async run({ host, facts }) {
    const user = facts.targetUser;
    if (!(await hasSystemd(host))) {
      return [
        {
          code: "linger.no-systemd",
          status: "warn",
          message:
            "No systemd on this host, so lingering does not exist: user containers stop with the session that started them.",
          remedy:
            "Start rootless containers from the host's init system, or run them under a process supervisor.",
        },
      ];
    }
    const path = `/var/lib/systemd/linger/${user.name}`;
    const linger = await host.stat(path);
    const finding: Finding = linger
      ? {
          code: "linger.ok",
          status: "pass",
          message: `${user.name} lingers: user services survive logout and start at boot.`,
          evidence: { path },
        }
      : {
          code: "linger.disabled",
          status: "warn",
          message: `${user.name} does not linger: rootless containers run as services stop at logout and do not start at boot.`,
          evidence: { path, exists: false },
          remedy: `sudo loginctl enable-linger ${shellQuote(user.name)}`,
        };
    return [finding];
  },
};
