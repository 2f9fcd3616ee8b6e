// Rootless Podman binds host ports as the user: ports below net.ipv4.ip_unprivileged_port_start
// (1024 by default) are refused. https://www.kernel.org/doc/html/latest/networking/ip-sysctl.html
import { publishedPorts } from "../src/compose/info.js";
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";
import { listItems } from "../src/compose-check/values.js";

export const rule: ComposeRule = {
  id: "low-ports",
  title: "Published ports below the unprivileged start",
  docs: "docs/compose-rules/low-ports.md",
  codes: {
    "compose.privileged-port": {
      status: ["fail"],
      summary: "rootless, publishes a port below the unprivileged start",
    },
  },
  facts: ["rootless", "portStart"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.rootless) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const [i, port] of listItems(svc.ports).entries()) {
        const hostPort = publishedPorts(port)[0]?.hostPort ?? null;
        if (hostPort === null || hostPort >= host.portStart) continue;
        out.push({
          code: "compose.privileged-port",
          status: "fail",
          message: `publishes port ${hostPort}, below net.ipv4.ip_unprivileged_port_start (${host.portStart}): rootless Podman cannot bind it`,
          remedy: `Publish a high port (${hostPort + 8000}) and redirect, or podlift fix --only unprivileged-ports.`,
          at: at(`services.${name}.ports.${i}`),
          service: name,
        });
      }
    }
    return out;
  },
};
