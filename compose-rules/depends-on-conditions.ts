// podman-compose started every dependency unconditionally until conditional depends_on landed
// (containers/podman-compose#866, fixed by #1082 and #1184, released by 1.4.0); Debian 12 ships 1.0.6.
import semver from "semver";
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";

const CONDITIONS_FROM = "1.4.0";

export const rule: ComposeRule = {
  id: "depends-on-conditions",
  title: "depends_on conditions the installed podman-compose ignores",
  docs: "docs/compose-rules/depends-on-conditions.md",
  codes: {
    "compose.depends-on-condition": {
      status: ["warn"],
      summary: "a `depends_on` condition podman-compose before 1.4 does not honour",
    },
  },
  facts: ["podmanCompose"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    const v = host.podmanCompose ?? null;
    const coerced = v === null ? null : semver.coerce(v);
    if (coerced !== null && semver.valid(coerced) && semver.gte(coerced, CONDITIONS_FROM)) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      const deps = svc.depends_on;
      if (!deps || typeof deps !== "object" || Array.isArray(deps)) continue;
      for (const [dep, spec] of Object.entries(deps as Record<string, Service | null>)) {
        const condition = spec?.condition;
        if (typeof condition !== "string" || condition === "service_started") continue;
        out.push({
          code: "compose.depends-on-condition",
          status: "warn",
          message: `waits for ${dep} to be ${condition.replace("service_", "")}; podman-compose ${v ?? "(not installed here)"} ${v ? "starts it without waiting" : `honours this only from ${CONDITIONS_FROM}`}`,
          remedy: `Use podman-compose ${CONDITIONS_FROM} or later, or docker-compose against the Podman socket; or make the service retry until ${dep} is ready.`,
          at: at(`services.${name}.depends_on.${dep}`),
          service: name,
        });
      }
    }
    return out;
  },
};
