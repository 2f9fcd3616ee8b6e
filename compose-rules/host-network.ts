// network_mode: host under rootless Podman shares the host's network namespace as the user: low
// ports stay refused and rootful networks stay out of sight.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (--network host)
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "host-network",
  title: "network_mode: host under rootless",
  docs: "docs/compose-rules/host-network.md",
  codes: {
    "compose.host-network-rootless": { status: ["warn"], summary: "`network_mode: host` under rootless" },
  },
  facts: ["rootless"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.rootless) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object" || svc.network_mode !== "host") continue;
      out.push({
        code: "compose.host-network-rootless",
        status: "warn",
        message:
          "network_mode: host under rootless Podman shares the host's network but cannot bind ports below the unprivileged start, and does not see rootful networks",
        remedy: "Publish ports instead, or run this service rootful.",
        at: at(`services.${name}.network_mode`),
        service: name,
      });
    }
    return out;
  },
};
