// A service that mounts Docker's socket (a JupyterHub spawner, Traefik, Portainer, a CI runner)
// talks to whatever listens there; under Podman that is nothing unless podman-docker or a Podman
// API socket is set up. https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
import { bindMount } from "../src/compose/info.js";
import { podmanSocketFor, swapSocketSource } from "../src/compose-check/sockets.js";
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";
import { listItems } from "../src/compose-check/values.js";

export const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

export const rule: ComposeRule = {
  id: "engine-socket",
  title: "Docker's socket mounted into a container",
  docs: "docs/compose-rules/engine-socket.md",
  codes: {
    "compose.docker-socket": { status: ["warn"], summary: "mounts `/var/run/docker.sock`" },
  },
  facts: ["rootless", "uid", "selinuxEnforcing"],
  requires: ["services"],
  edits: {
    "compose.docker-socket": {
      risk: "safe",
      edit: (line, env) => swapSocketSource(line, /\/(?:var\/)?run\/docker\.sock/, env),
    },
  },
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    const podmanSocket = podmanSocketFor(host);
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const [i, v] of listItems(svc.volumes).entries()) {
        const source = bindMount(v)?.source;
        if (source === undefined || !DOCKER_SOCKETS.includes(source)) continue;
        out.push({
          code: "compose.docker-socket",
          status: "warn",
          message: `mounts Docker's socket ${source}; under Podman nothing listens there unless podman-docker or a Podman socket is set up`,
          remedy: `Mount Podman's socket instead: ${podmanSocket}:${source}${host.selinuxEnforcing ? ":z" : ""} (start it with systemctl ${host.rootless ? "--user " : ""}enable --now podman.socket)`,
          at: at(`services.${name}.volumes.${i}`),
          service: name,
        });
      }
    }
    return out;
  },
};
