// Podman must be installed and new enough: 4.0 brought netavark and the compat API most Docker
// tools need; 4.4 brought pasta networking and Quadlet. And `podman info` must work for the user
// the containers will run as, since most rootless problems show up there first.
// https://github.com/containers/podman/blob/main/RELEASE_NOTES.md
import coerce from "semver/functions/coerce.js";
import lt from "semver/functions/lt.js";
import type { Check, Finding } from "../src/doctor/types.js";
import { classify, errorLine } from "../src/parse/classify.js";
import { installHint } from "../src/parse/distro.js";

export const MIN_VERSION = "4.0.0";
export const RECOMMENDED_VERSION = "4.4.0";

export const check: Check = {
  id: "podman-version",
  title: "Podman installed and recent",
  docs: "docs/checks/podman-version.md",
  applies: () => true,
  async run({ facts }) {
    // Both at once, info asked first: the version is read from it when it answers.
    const asked = facts.podman.info(facts.targetUser);
    const [version, info] = await Promise.all([facts.podman.version(), asked]);
    if (version === null) {
      return [
        {
          code: "podman.missing",
          status: "fail",
          message: "Podman is not installed (no `podman` on PATH).",
          remedy: `Install it: ${installHint(facts, { debian: "podman", fedora: "podman" })}`,
        },
      ];
    }
    const findings: Finding[] = [];
    const v = coerce(version);
    const evidence = { version };
    if (v === null) {
      findings.push({
        code: "podman.version-unknown",
        status: "warn",
        message: `Cannot read Podman's version "${version}".`,
        evidence,
      });
    } else if (lt(v, MIN_VERSION)) {
      findings.push({
        code: "podman.too-old",
        status: "fail",
        message: `Podman ${version} is older than ${MIN_VERSION}: no netavark, an incomplete Docker API, many rootless fixes missing.`,
        evidence,
        remedy: "Upgrade Podman from your distribution's newer release or its backports.",
      });
    } else if (lt(v, RECOMMENDED_VERSION)) {
      findings.push({
        code: "podman.old",
        status: "warn",
        message: `Podman ${version} works, but pasta networking and Quadlet need ${RECOMMENDED_VERSION} or later.`,
        evidence,
        remedy: "Upgrade when you can (Debian 12 ships 4.3; bookworm-backports and Debian 13 have newer).",
      });
    } else {
      findings.push({
        code: "podman.ok",
        status: "pass",
        message: `Podman ${version} is installed.`,
        evidence,
      });
    }
    if (!info.ok) {
      const stderr = info.command.timedOut
        ? "timed out"
        : errorLine(info.command.stderr) || `exit ${info.command.exitCode}`;
      const why = classify(info.command.stderr);
      findings.push({
        code: "podman.info-failed",
        status: "fail",
        message: `\`podman info\` fails for ${facts.targetUser.name}: ${why.cause}`,
        evidence: { user: facts.targetUser.name, error: stderr, cause: why.code },
        remedy: why.remedy,
      });
    } else {
      const rootless = info.info.host?.security?.rootless;
      findings.push({
        code: "podman.info-ok",
        status: "pass",
        message: `\`podman info\` works for ${facts.targetUser.name} (${rootless ? "rootless" : "rootful"}).`,
        evidence: { user: facts.targetUser.name, rootless: rootless ?? null },
      });
    }
    return findings;
  },
};
