// DOCKER_HOST tells a Docker client in the container where the engine listens; after the move it
// must name the Podman socket mounted into the container.
// https://docs.docker.com/reference/cli/docker/#environment-variables

import { environmentEntries } from "../src/compose-check/environment.js";
import { podmanSocketFor } from "../src/compose-check/sockets.js";
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "docker-host",
  title: "DOCKER_HOST set for a container",
  docs: "docs/compose-rules/docker-host.md",
  codes: {
    "compose.docker-host": { status: ["warn"], summary: "sets `DOCKER_HOST`" },
  },
  facts: ["rootless", "uid"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    const podmanSocket = podmanSocketFor(host);
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const [key, value, where] of environmentEntries(svc, `services.${name}`)) {
        if (key !== "DOCKER_HOST") continue;
        out.push({
          code: "compose.docker-host",
          status: "warn",
          message: `sets DOCKER_HOST=${value}: the container will talk to whatever listens there`,
          remedy: `Point it at the Podman socket mounted into the container (unix://${podmanSocket} on the host).`,
          at: at(where),
          service: name,
        });
      }
    }
    return out;
  },
};
