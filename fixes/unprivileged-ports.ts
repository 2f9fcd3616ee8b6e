// Lowers net.ipv4.ip_unprivileged_port_start to exactly the lowest port the user needs. Risky:
// from then on every local user may bind ports from there up, not only Podman.
// https://docs.kernel.org/networking/ip-sysctl.html
import { sysctlChanges } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "unprivileged-ports",
  title: "Lower the unprivileged port start",
  addresses: ["ports.privileged"],
  risk: "confirm",
  async plan({ host }, findings) {
    const blocked = findings.flatMap((f) =>
      Array.isArray(f.evidence?.blocked) ? (f.evidence.blocked as number[]) : [],
    );
    if (blocked.length === 0) return "the finding does not say which ports are blocked";
    const lowest = Math.min(...blocked);
    return {
      summary: `Rootless containers may publish port ${lowest} and above. Every local user may then bind those ports too.`,
      changes: await sysctlChanges(
        host,
        [["net.ipv4.ip_unprivileged_port_start", String(lowest)]],
        "90-podlift-ports.conf",
        `allow binds from port ${lowest}`,
      ),
      notes: [
        `Alternatives that change no kernel setting: publish on a high port (${lowest + 8000}:${lowest}) and redirect ${lowest} to it with nftables/firewalld; or run that one service rootful.`,
      ],
    };
  },
};
