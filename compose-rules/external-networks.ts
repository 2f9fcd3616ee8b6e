// An external network is one compose does not create: it must exist under that exact name, and
// Docker's networks do not come along to Podman. https://github.com/compose-spec/compose-spec/blob/main/06-networks.md (external)
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "external-networks",
  title: "External networks Podman must have",
  docs: "docs/compose-rules/external-networks.md",
  codes: {
    "compose.external-network": {
      status: ["warn"],
      summary: "an external network that must exist in Podman",
    },
  },
  facts: ["rootless"],
  requires: ["services"],
  run({ project: p, host, at }) {
    const out: ComposeFinding[] = [];
    for (const [key, net] of Object.entries((p.data.networks ?? {}) as Record<string, Service | null>)) {
      if (!net?.external) continue;
      const netName = typeof net.name === "string" ? net.name : key;
      out.push({
        code: "compose.external-network",
        status: "warn",
        service: null,
        message: `external network ${netName} must exist in Podman; Docker's networks do not come along`,
        remedy: `podman network create ${netName}${host.rootless ? " (as the user who runs the project)" : ""}`,
        at: at(`networks.${key}`),
      });
    }
    return out;
  },
};
