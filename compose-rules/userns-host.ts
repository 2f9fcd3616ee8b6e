// userns_mode: host asks for the host's user namespace, which a rootless container never has: it
// always runs in the user's. https://docs.podman.io/en/latest/markdown/podman-run.1.html (--userns)
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "userns-host",
  title: "userns_mode: host under rootless",
  docs: "docs/compose-rules/userns-host.md",
  codes: {
    "compose.userns-host": { status: ["warn"], summary: "`userns_mode: host` under rootless" },
  },
  facts: ["rootless"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.rootless) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object" || svc.userns_mode !== "host") continue;
      out.push({
        code: "compose.userns-host",
        status: "warn",
        message: "userns_mode: host is meaningless rootless: the container is always in your user namespace",
        remedy: "Remove it, or use keep-id.",
        at: at(`services.${name}.userns_mode`),
        service: name,
      });
    }
    return out;
  },
};
