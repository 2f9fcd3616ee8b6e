// A named volume's data lives in the engine that made it: a project moved to Podman starts with
// empty volumes unless the data is copied (podlift migrate volumes).
// https://github.com/compose-spec/compose-spec/blob/main/07-volumes.md (name, external)
import path from "node:path";
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "volumes-in-docker",
  title: "Named volumes whose data is still in Docker",
  docs: "docs/compose-rules/volumes-in-docker.md",
  codes: {
    "compose.volume-not-migrated": {
      status: ["warn"],
      summary: "a named volume with data in Docker and none in Podman",
    },
  },
  facts: ["dockerVolumes"],
  requires: ["dockerVolumes"],
  run({ project: p, host, at }) {
    const out: ComposeFinding[] = [];
    const volumes = host.dockerVolumes;
    if (volumes === undefined) return out;
    for (const [key, spec] of Object.entries((p.data.volumes ?? {}) as Record<string, Service | null>)) {
      const external = spec?.external;
      const name = typeof spec?.name === "string" ? spec.name : external ? key : `${p.project}_${key}`;
      if (!volumes.docker.has(name) || volumes.podman.has(name)) continue;
      out.push({
        code: "compose.volume-not-migrated",
        status: "warn",
        service: null,
        message: `volume ${key} holds data in Docker (${name}) that Podman does not have yet: the project would start empty`,
        remedy: `podlift migrate volumes --compose ${path.basename(p.file)}`,
        at: at(`volumes.${key}`),
      });
    }
    return out;
  },
};
