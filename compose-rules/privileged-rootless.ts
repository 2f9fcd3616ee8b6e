// privileged: true under rootless Podman grants only what the user has: no host devices or kernel
// settings the user could not reach. https://docs.podman.io/en/latest/markdown/podman-run.1.html (--privileged)
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "privileged-rootless",
  title: "privileged: true under rootless",
  docs: "docs/compose-rules/privileged-rootless.md",
  codes: {
    "compose.privileged-rootless": { status: ["warn"], summary: "`privileged: true` under rootless" },
  },
  facts: ["rootless"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.rootless) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object" || svc.privileged !== true) continue;
      out.push({
        code: "compose.privileged-rootless",
        status: "warn",
        message:
          "privileged: true under rootless Podman grants only what your user has: device access and kernel settings still fail",
        remedy:
          "Request the devices and capabilities the service really needs (devices:, cap_add:), or run it rootful.",
        at: at(`services.${name}.privileged`),
        service: name,
      });
    }
    return out;
  },
};
