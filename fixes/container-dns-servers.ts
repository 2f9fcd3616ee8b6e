// Pins the DNS servers containers use to the upstream ones systemd-resolved itself uses, in a
// containers.conf drop-in of podlift's own (the user's for rootless, the system's for rootful).
// Risky in that pinned servers do not follow a network change (a laptop, a VPN): undo removes
// the drop-in.
// https://github.com/containers/common/blob/main/docs/containers.conf.5.md (dns_servers)
import { isLoopback, nameservers, plainAddress, RESOLVED_UPSTREAM } from "../checks/container-dns.js";
import { userFileChange } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";

export const DROP_IN = "50-podlift-dns.conf";

export const fix: Fix = {
  id: "container-dns-servers",
  title: "Pin containers' DNS servers",
  addresses: ["dns.resolved-stub"],
  risk: "confirm",
  async plan({ host, facts }) {
    const text = await host.readFile(RESOLVED_UPSTREAM).catch(() => null);
    const servers = nameservers(text ?? "").filter((s) => !isLoopback(s) && plainAddress(s));
    if (servers.length === 0) return `${RESOLVED_UPSTREAM} names no upstream server podlift could pin`;
    const user = facts.targetUser;
    const dir = facts.rootful
      ? "/etc/containers/containers.conf.d"
      : `${user.home}/.config/containers/containers.conf.d`;
    const path = `${dir}/${DROP_IN}`;
    const before = await host.readFile(path).catch(() => null);
    const after = [
      `# Written by podlift fix container-dns-servers: the servers systemd-resolved uses upstream`,
      `# (${RESOLVED_UPSTREAM}); containers cannot reach its stub at 127.0.0.53. Remove to undo.`,
      "[containers]",
      `dns_servers = [${servers.map((s) => `"${s}"`).join(", ")}]`,
      "",
    ].join("\n");
    return {
      summary: `New ${facts.rootful ? "rootful" : `rootless (${user.name})`} containers use ${servers.join(", ")} for DNS.`,
      changes: [
        // Rootful, the user is root and the file root's; rootless, the user's own drop-in.
        userFileChange(host, user, { path, before, after, mode: 0o644, why: `set dns_servers in ${path}` }),
      ],
      notes: [
        "Running containers keep their resolv.conf: recreate them.",
        "The servers are pinned: after a network change (VPN, another site) run podlift fix again or remove the drop-in.",
      ],
    };
  },
};
