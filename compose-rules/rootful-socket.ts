// A rootless project that mounts the rootful Podman socket (/run/podman/podman.sock): that socket
// is root's Podman service, and nothing the user can reach listens there, so the container starts
// and fails on its first API call. The user's service listens on $XDG_RUNTIME_DIR/podman/podman.sock.
// https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
import { bindMount } from "../src/compose/info.js";
import { podmanSocketFor, swapSocketSource } from "../src/compose-check/sockets.js";
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";
import { listItems } from "../src/compose-check/values.js";

export const ROOTFUL_SOCKETS = ["/run/podman/podman.sock", "/var/run/podman/podman.sock"];

export const rule: ComposeRule = {
  id: "rootful-socket",
  title: "Rootful Podman socket mounted by a rootless project",
  docs: "docs/compose-rules/rootful-socket.md",
  codes: {
    "compose.rootful-socket": {
      status: ["fail"],
      summary: "rootless, mounts the rootful Podman socket `/run/podman/podman.sock`",
    },
  },
  facts: ["rootless", "uid", "selinuxEnforcing"],
  requires: ["services"],
  edits: {
    "compose.rootful-socket": {
      risk: "safe",
      edit: (line, env) => swapSocketSource(line, /\/(?:var\/)?run\/podman\/podman\.sock/, env),
    },
  },
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.rootless) return out;
    const userSocket = podmanSocketFor(host);
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const [i, v] of listItems(svc.volumes).entries()) {
        const mount = bindMount(v);
        if (!mount || !ROOTFUL_SOCKETS.includes(mount.source)) continue;
        out.push({
          code: "compose.rootful-socket",
          status: "fail",
          message: `mounts the rootful Podman socket ${mount.source}; this project runs rootless, and nothing the user can reach listens there`,
          remedy: `Mount the user's socket ($XDG_RUNTIME_DIR/podman/podman.sock) instead: ${userSocket}:${mount.target}${host.selinuxEnforcing ? ":z" : ""} (start it with systemctl --user enable --now podman.socket)`,
          at: at(`services.${name}.volumes.${i}`),
          service: name,
        });
      }
    }
    return out;
  },
};
