// Rootless Podman publishes ports as the user, so the kernel's privileged-port rule applies:
// ports below net.ipv4.ip_unprivileged_port_start (1024 by default) cannot be bound.
// https://github.com/containers/podman/blob/main/rootless.md ("can not bind ports < 1024")
import type { Check } from "../src/doctor/types.js";

export const check: Check = {
  id: "unprivileged-ports",
  title: "Unprivileged port start",
  docs: "docs/checks/unprivileged-ports.md",
  applies: (facts) => (facts.rootful ? "the target user is root: rootful Podman may bind any port" : true),
  async run({ facts }) {
    const { raw, start } = await facts.probes.portStart();
    const evidence = { sysctl: "net.ipv4.ip_unprivileged_port_start", value: raw === null ? null : start };
    const blocked = facts.ports.filter((p) => p < start);
    if (facts.ports.length === 0) {
      return [
        {
          code: "ports.none-requested",
          status: "pass",
          message: `Rootless containers may publish ports from ${start} up. Pass --ports or --compose to check the ones you need.`,
          evidence,
        },
      ];
    }
    if (blocked.length === 0) {
      return [
        {
          code: "ports.ok",
          status: "pass",
          message: `All requested ports (${facts.ports.join(", ")}) are at or above ${start}.`,
          evidence: { ...evidence, ports: facts.ports },
        },
      ];
    }
    const lowest = Math.min(...blocked);
    const sources = (facts.compose?.ports ?? [])
      .filter((p) => p.hostPort < start)
      .map((p) => `${facts.compose?.path}:${p.line} (${p.service}: ${p.hostPort}/${p.protocol})`);
    return [
      {
        code: "ports.privileged",
        status: "fail",
        message: `${facts.targetUser.name} cannot publish port${blocked.length > 1 ? "s" : ""} ${blocked.join(", ")}: rootless binds start at ${start}.`,
        evidence: { ...evidence, blocked, ...(sources.length > 0 ? { composeLines: sources } : {}) },
        remedy:
          `Either publish on a high port (e.g. ${lowest + 8000}) and redirect ${lowest} to it with nftables/firewalld, ` +
          `or lower the limit to exactly ${lowest}: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${lowest} and persist it in /etc/sysctl.d/ ` +
          `(every local user may then bind ports from ${lowest} up).`,
      },
    ];
  },
};
