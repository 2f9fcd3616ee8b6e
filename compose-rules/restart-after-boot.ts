// Docker's daemon starts containers with a restart policy again when the host boots; Podman has
// no daemon, so `restart: always` means nothing after a reboot unless systemd starts the
// containers (Quadlet units, podman generate systemd, podman-restart.service), and under rootless
// only a user who lingers has a systemd manager at boot.
// https://docs.podman.io/en/latest/markdown/podman-systemd.unit.5.html
// https://www.freedesktop.org/software/systemd/man/latest/loginctl.html#enable-linger%20USER%E2%80%A6
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

/** The policies that ask for a container to come back (on-failure may carry a count). */
export const RESTARTING = /^(always|unless-stopped|on-failure(:\d+)?)$/;

const SERVICES = "Quadlet units or podman generate systemd (podlift migrate services, coming)";

export const rule: ComposeRule = {
  id: "restart-after-boot",
  title: "Restart policies nothing honours after boot",
  docs: "docs/compose-rules/restart-after-boot.md",
  codes: {
    "compose.restart-after-boot": {
      status: ["warn"],
      summary: "a `restart:` policy, on a host where nothing starts containers again after boot",
    },
  },
  facts: ["rootless", "userName", "hostRestarts"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    const restarts = host.hostRestarts;
    if (!restarts) return out;
    let why: string;
    let remedy: string;
    if (!restarts.systemd) {
      why =
        "this host does not run systemd, and without Docker's daemon nothing starts containers again after boot";
      remedy = `Start the project from the host's init system (podman-compose up -d at boot); on a systemd host use ${SERVICES}.`;
    } else if (host.rootless && restarts.lingers === false) {
      why = `${host.userName} does not linger: their systemd manager (and every container in it) stops at logout and does not start at boot`;
      remedy = `Run loginctl enable-linger ${host.userName}, then start the containers with ${SERVICES}.`;
    } else return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      const policy = svc.restart;
      if (typeof policy !== "string" || !RESTARTING.test(policy)) continue;
      out.push({
        code: "compose.restart-after-boot",
        status: "warn",
        message: `restart: ${policy}, but ${why}`,
        remedy,
        at: at(`services.${name}.restart`),
        service: name,
      });
    }
    return out;
  },
};
