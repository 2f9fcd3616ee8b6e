// Rootless Podman keeps its sockets, locks and runtime state in $XDG_RUNTIME_DIR, which a login
// session (pam_systemd) creates as /run/user/UID, owned by the user, mode 0700. `su` and `sudo -u`
// keep the caller's value or none at all, and Podman then fails or falls back to /tmp.
// https://github.com/containers/podman/blob/main/troubleshooting.md (XDG_RUNTIME_DIR)
import type { Check, Finding } from "../src/doctor/types.js";
import { shellQuote } from "../src/text/safe-text.js";

export const check: Check = {
  id: "xdg-runtime-dir",
  title: "XDG_RUNTIME_DIR",
  docs: "docs/checks/xdg-runtime-dir.md",
  applies: (facts) => (facts.rootful ? "the target user is root: rootful Podman uses /run" : true),
  async run({ host, facts }) {
    const user = facts.targetUser;
    const expected = `/run/user/${user.uid}`;
    const isSelf = host.currentUser().name === user.name;
    const value = isSelf ? host.env("XDG_RUNTIME_DIR") : undefined;
    const login = `Log in as ${user.name} directly (ssh, or machinectl shell ${shellQuote(`${user.name}@`)}), not with su/sudo; or enable linger: sudo loginctl enable-linger ${shellQuote(user.name)}`;
    const findings: Finding[] = [];
    if (isSelf && value === undefined) {
      findings.push({
        code: "xdg.unset",
        status: "warn",
        message: `XDG_RUNTIME_DIR is not set for ${user.name}: Podman falls back to /tmp, and podman.socket and systemd units will not work.`,
        evidence: { XDG_RUNTIME_DIR: null, expected },
        remedy: login,
      });
    }
    const dir = value ?? expected;
    if (value !== undefined && value !== expected) {
      findings.push({
        code: "xdg.unexpected-path",
        status: "warn",
        message: `XDG_RUNTIME_DIR is ${value}, not ${expected} (left over from another user after su or sudo?).`,
        evidence: { XDG_RUNTIME_DIR: value, expected },
        remedy: login,
      });
    }
    const info = await host.stat(dir);
    if (info === null) {
      findings.push({
        code: "xdg.missing",
        status: isSelf && value !== undefined ? "fail" : "warn",
        message: `${dir} does not exist: ${user.name} has no login session and no linger.`,
        evidence: { path: dir },
        remedy: login,
      });
    } else if (info.type !== "dir" || info.uid !== user.uid) {
      findings.push({
        code: "xdg.wrong-owner",
        status: "fail",
        message: `${dir} is ${info.type === "dir" ? `owned by uid ${info.uid}` : `a ${info.type}`}, not a folder owned by ${user.name} (uid ${user.uid}).`,
        evidence: { path: dir, owner: info.uid, type: info.type },
        remedy: login,
      });
    } else if ((info.mode & 0o077) !== 0) {
      findings.push({
        code: "xdg.bad-mode",
        status: "fail",
        message: `${dir} has mode ${info.mode.toString(8)}; it must be 0700 (only its owner may enter).`,
        evidence: { path: dir, mode: info.mode.toString(8) },
        remedy: `chmod 0700 ${dir}`,
      });
    }
    if (findings.length === 0) {
      findings.push({
        code: "xdg.ok",
        status: "pass",
        message: `${dir} exists, is owned by ${user.name} and has mode 0700.`,
        evidence: { path: dir },
      });
    }
    return findings;
  },
};
