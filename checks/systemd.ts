// podman.socket, Quadlet, `podman generate systemd`, linger and cgroup delegation all need
// systemd as PID 1, and `systemctl --user` needs the user's manager (user@UID.service).
// https://www.freedesktop.org/software/systemd/man/latest/sd_booted.html (/run/systemd/system)
import type { Check, Finding } from "../src/doctor/types.js";
import { hasSystemd, pid1 } from "../src/host/systemd.js";
import { shellQuote } from "../src/text/safe-text.js";

export const check: Check = {
  id: "systemd",
  title: "systemd and user session",
  docs: "docs/checks/systemd.md",
  applies: () => true,
  async run({ host, facts }) {
    const [booted, init] = await Promise.all([hasSystemd(host), pid1(host)]);
    if (!booted) {
      return [
        {
          code: "systemd.absent",
          status: "warn",
          message: `This host does not run systemd (PID 1 is ${init ?? "unknown"}): no podman.socket, Quadlet, linger or user services.`,
          evidence: { pid1: init, "/run/systemd/system": false },
          remedy:
            "Run the API with `podman system service --time=0 unix:///path/podman.sock` from your init system, and start containers with your own service scripts (or enable systemd: WSL's [boot] systemd=true).",
        },
      ];
    }
    const findings: Finding[] = [
      { code: "systemd.ok", status: "pass", message: "systemd is PID 1.", evidence: { pid1: init } },
    ];
    if (!facts.rootful) {
      const user = facts.targetUser;
      const manager = await host.stat(`/run/user/${user.uid}/systemd`);
      findings.push(
        manager?.type === "dir"
          ? {
              code: "systemd.user-manager-ok",
              status: "pass",
              message: `${user.name}'s systemd user manager is running.`,
            }
          : {
              code: "systemd.user-manager-absent",
              status: "warn",
              message: `${user.name} has no running systemd user manager: \`systemctl --user\` fails with "Failed to connect to bus".`,
              evidence: { path: `/run/user/${user.uid}/systemd` },
              remedy: `Log in as ${user.name} (not su), or: sudo loginctl enable-linger ${shellQuote(user.name)}`,
            },
      );
    }
    return findings;
  },
};
