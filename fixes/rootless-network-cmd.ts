// The rootless network helper Podman uses by default (slirp4netns before Podman 5, pasta since)
// is missing or fails, and the canary started the same container with the other one: a
// containers.conf drop-in makes that one the default. default_rootless_network_cmd arrived with
// pasta support in Podman 4.4, so the canary offers this only from 4.4 on.
// https://github.com/containers/common/blob/main/docs/containers.conf.5.md (default_rootless_network_cmd)
import semver from "semver";
import { canaryProof } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";

export const DROP_IN = "/etc/containers/containers.conf.d/90-podlift-network-cmd.conf";

export const fix: Fix = {
  id: "rootless-network-cmd",
  title: "The rootless network helper the canary proved, as the default",
  addresses: ["canary.network-failed"],
  risk: "confirm",
  concerns: (f) => f.evidence?.cause === "tun-device" || f.evidence?.cause === "network-helper",
  async plan({ host, facts }, findings) {
    const { proven, tries } = canaryProof(findings, fix.id);
    if (proven.length === 0)
      return "the canary did not start a rootless container with another network helper";
    const version = semver.coerce(await facts.podman.version().catch(() => null));
    if (version === null || semver.lt(version, "4.4.0"))
      return `Podman ${version?.version ?? "(unknown version)"} has no default_rootless_network_cmd (added in 4.4): pass --network to each container instead`;
    const helper = /--network (pasta|slirp4netns)/.exec(tries.find((t) => / starts \(/.test(t)) ?? "")?.[1];
    if (!helper) return "the canary's tries name no helper that started";
    return {
      summary: `Rootless containers get their network from ${helper}: the default helper failed in the canary and ${helper} started the same container.`,
      changes: [
        {
          kind: "write-file",
          path: DROP_IN,
          before: await host.readFile(DROP_IN),
          after: `# Written by podlift fix: the rootless network helper the canary proved.\n[network]\ndefault_rootless_network_cmd = "${helper}"\n`,
          mode: 0o644,
          owner: { uid: 0, gid: 0 },
          why: `make ${helper} the default rootless network helper`,
        },
      ],
      notes: [`The canary's tries: ${tries.join("; ")}`],
    };
  },
};
