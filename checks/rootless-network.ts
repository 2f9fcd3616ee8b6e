// Rootless containers reach the network through a user-mode helper: pasta (passt package,
// default from Podman 5, supported from 4.4) or slirp4netns. The rootful backend is netavark
// (CNI is deprecated and removed in Podman 5).
// https://github.com/containers/podman/blob/main/docs/tutorials/basic_networking.md
import coerce from "semver/functions/coerce.js";
import gte from "semver/functions/gte.js";
import type { Check, Finding } from "../src/doctor/types.js";
import { findBinary, installHint } from "../src/parse/distro.js";

export const check: Check = {
  id: "rootless-network",
  title: "Network backend and rootless helper",
  docs: "docs/checks/rootless-network.md",
  applies: () => true,
  async run({ host, facts }) {
    const findings: Finding[] = [];
    const [info, version, pasta, slirp] = await Promise.all([
      facts.podman.info(facts.targetUser),
      facts.podman.version().catch(() => null),
      findBinary(host, "pasta"),
      findBinary(host, "slirp4netns"),
    ]);
    const backend = info.ok ? (info.info.host?.networkBackend ?? null) : null;
    if (backend === "cni") {
      findings.push({
        code: "network.cni",
        status: "warn",
        message: "Podman uses the CNI network backend, deprecated and removed in Podman 5.",
        evidence: { backend },
        remedy:
          'Install netavark and aardvark-dns, set network_backend = "netavark" in containers.conf, then `podman system reset`.',
      });
    } else if (backend) {
      findings.push({
        code: "network.backend-ok",
        status: "pass",
        message: `Network backend: ${backend}.`,
        evidence: { backend },
      });
    }
    if (facts.rootful)
      return findings.length > 0
        ? findings
        : [
            {
              code: "network.backend-unknown",
              status: "warn",
              message: "Cannot read the network backend: `podman info` is unavailable (see podman-version).",
            },
          ];
    const v = version ? coerce(version) : null;
    const pastaUsable = pasta !== null && v !== null && gte(v, "4.4.0");
    const evidence = { pasta, slirp4netns: slirp, podman: version };
    if (!pastaUsable && slirp === null) {
      findings.push({
        code: "network.no-helper",
        status: "fail",
        message:
          "Neither pasta (Podman 4.4+) nor slirp4netns is installed: rootless containers have no network.",
        evidence,
        remedy: `Install one: ${installHint(facts, { debian: v && gte(v, "4.4.0") ? "passt" : "slirp4netns", fedora: "passt" })}`,
      });
    } else {
      findings.push({
        code: "network.helper-ok",
        status: "pass",
        message: `Rootless network helper: ${pastaUsable ? `pasta (${pasta})` : `slirp4netns (${slirp})`}.`,
        evidence,
      });
    }
    const tun = await host.stat("/dev/net/tun");
    if (tun === null || tun.type !== "char" || (tun.mode & 0o006) !== 0o006) {
      findings.push({
        code: "network.tun-unusable",
        status: "fail",
        message:
          tun === null
            ? "/dev/net/tun does not exist: pasta and slirp4netns cannot create the container's network device."
            : `/dev/net/tun is ${tun.type === "char" ? `mode ${tun.mode.toString(8)}` : `a ${tun.type}`}: ${facts.targetUser.name} cannot open it, so rootless containers get no network.`,
        evidence: { path: "/dev/net/tun", exists: tun !== null, mode: tun ? tun.mode.toString(8) : null },
        remedy:
          "sudo modprobe tun && sudo chmod 0666 /dev/net/tun (persist with a udev rule); in a container, pass --device /dev/net/tun.",
      });
    }
    return findings;
  },
};
