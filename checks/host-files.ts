// The files every other check leans on: os-release (which distribution, so which package names
// and hints), the kernel release, /etc/passwd (who the users are). A host where one of them is a
// folder, a FIFO, a symlink loop or unreadable is reported here instead of failing the run.
// https://www.freedesktop.org/software/systemd/man/latest/os-release.html
import type { Check, Finding } from "../src/doctor/types.js";
import { safeLine } from "../src/text/safe-text.js";

export const check: Check = {
  id: "host-files",
  title: "Host identity files (os-release, kernel, passwd)",
  docs: "docs/checks/host-files.md",
  applies: () => true,
  async run({ host, facts }) {
    const findings: Finding[] = [];
    for (const p of facts.problems ?? []) {
      const denied = p.kind === "permission";
      findings.push({
        code:
          p.fact === "os"
            ? "host.os-release-unreadable"
            : p.fact === "kernel"
              ? "host.kernel-unreadable"
              : "host.passwd-unreadable",
        status: denied ? "warn" : "fail",
        message: `${safeLine(p.message)}: ${WHAT[p.fact] ?? "podlift goes on without it"}.`,
        evidence: { path: p.path, kind: p.kind },
        remedy: denied
          ? "Run podlift as root (sudo podlift doctor) so it can read the file."
          : "Replace it with the regular file the distribution ships; Podman and shadow-utils read it too.",
      });
    }
    const unreadable = new Set((facts.problems ?? []).map((p) => p.fact));
    if (facts.os === null && !unreadable.has("os")) {
      findings.push({
        code: "host.os-release-missing",
        status: "warn",
        message: `Neither /etc/os-release nor /usr/lib/os-release exists${host.isLive ? "" : ` under ${safeLine(host.root)}`}: the distribution is unknown, so install hints are generic.`,
        evidence: { root: host.root },
        remedy: host.isLive
          ? "Restore /etc/os-release from the distribution's base-files package."
          : "Check that --root points at a host's root folder (the node's / mounted at /host).",
      });
    }
    if (findings.length === 0) {
      findings.push({
        code: "host.ok",
        status: "pass",
        message: `${safeLine(facts.os?.prettyName ?? "Linux")}, kernel ${safeLine(facts.kernel ?? "unknown")}, target user ${safeLine(facts.targetUser.name)} (uid ${facts.targetUser.uid}).`,
        evidence: { os: facts.os?.id ?? null, kernel: facts.kernel, user: facts.targetUser.name },
      });
    }
    return findings;
  },
};

const WHAT: Record<string, string> = {
  os: "the distribution is unknown, so install hints are generic",
  kernel: "the kernel release is unknown",
  users: "users are looked up through NSS (getent) only",
};
