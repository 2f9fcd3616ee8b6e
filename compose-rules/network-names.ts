// Compose names a network it creates <project>_<network>, and the project name comes from the
// folder, -p or name:, which tools derive differently; a value that spells the generated name out
// (a JupyterHub spawner's DOCKER_NETWORK_NAME) breaks when it changes.
// https://github.com/compose-spec/compose-spec/blob/main/06-networks.md (name)

import { environmentEntries } from "../src/compose-check/environment.js";
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "network-names",
  title: "Environment values that spell out a generated network name",
  docs: "docs/compose-rules/network-names.md",
  codes: {
    "compose.network-name-assumption": {
      status: ["warn"],
      summary: "an environment value spells out a generated network name, `<project>_<network>`",
    },
  },
  facts: [],
  requires: ["services"],
  run({ project: p, services, at }) {
    const out: ComposeFinding[] = [];
    // Networks the project creates without a fixed name: their names are generated.
    const declared = (p.data.networks ?? {}) as Record<string, Service | null>;
    const generated = [
      "default",
      ...Object.keys(declared).filter((k) => !declared[k]?.external && !declared[k]?.name),
    ];
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const [key, value, where] of environmentEntries(svc, `services.${name}`)) {
        const net = generated.find((n) => value === `${p.project}_${n}`);
        if (net === undefined) continue;
        out.push({
          code: "compose.network-name-assumption",
          status: "warn",
          message: `${key}=${value} spells out the generated network name <project>_${net}, which depends on how each compose tool derives the project name (folder name, -p, name:)`,
          remedy: `Give the network a fixed name (networks: ${net}: name: ${value}) so every tool creates exactly that network.`,
          at: at(where),
          service: name,
        });
      }
    }
    return out;
  },
};
