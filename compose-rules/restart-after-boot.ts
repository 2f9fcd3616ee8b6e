// Docker's daemon starts containers with a restart policy again when the host boots; Podman has
// no daemon, so `restart: always` means nothing after a reboot unless systemd starts the
// containers (Quadlet units, podman generate systemd, podman-restart.service), and under rootless
// only a user who lingers has a systemd manager at boot. podman-restart.service runs
// `podman start --all --filter restart-policy=always`: unless-stopped and on-failure stay down.
// https://docs.podman.io/en/latest/markdown/podman-systemd.unit.5.html
// https://github.com/containers/podman/blob/main/contrib/systemd/system/podman-restart.service.in
// https://www.freedesktop.org/software/systemd/man/latest/loginctl.html#enable-linger%20USER%E2%80%A6
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";

/** The policies that ask for a container to come back (on-failure may carry a count). */
export const RESTARTING = /^(always|unless-stopped|on-failure(:\d+)?)$/;

const SERVICES = "Quadlet units or podman generate systemd (podlift migrate services)";

/** The names a Quadlet unit (file name or ContainerName=) would give this service's container. */
function unitNames(project: string, name: string, svc: Service): string[] {
  const names = [
    name,
    `${project}-${name}`,
    `${project}_${name}`,
    `${project}-${name}-1`,
    `${project}_${name}_1`,
  ];
  return typeof svc.container_name === "string" ? [svc.container_name, ...names] : names;
}

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
  run({ project: p, host, services, at }) {
    const out: ComposeFinding[] = [];
    const restarts = host.hostRestarts;
    if (!restarts) return out;
    let why: string | null = null;
    let remedy = "";
    if (!restarts.systemd) {
      why =
        "this host does not run systemd, and without Docker's daemon nothing starts containers again after boot";
      remedy = `Start the project from the host's init system (podman-compose up -d at boot); on a systemd host use ${SERVICES}.`;
    } else if (host.rootless && restarts.lingers === false) {
      why = `${host.userName} does not linger: their systemd manager (and every container in it) stops at logout and does not start at boot`;
      remedy = `Run loginctl enable-linger ${host.userName}, then start the containers with ${SERVICES}.`;
    } else if (restarts.podmanRestart === undefined && restarts.quadlets === undefined) return out;
    // systemd runs (and the user lingers): fine when a unit starts the service's container, or
    // podman-restart.service starts it for its restart: always.
    const quadlets = new Set(restarts.quadlets ?? []);
    const enable = `systemctl${host.rootless ? " --user" : ""} enable podman-restart.service`;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      const policy = svc.restart;
      if (typeof policy !== "string" || !RESTARTING.test(policy)) continue;
      let message = `restart: ${policy}, but ${why}`;
      let fix = remedy;
      if (why === null) {
        if (unitNames(p.project, name, svc).some((n) => quadlets.has(n))) continue;
        if (restarts.podmanRestart && policy === "always") continue;
        if (restarts.podmanRestart) {
          message = `restart: ${policy}, but podman-restart.service starts only restart: always containers at boot, and no Quadlet unit runs ${name}`;
          fix = `Write restart: always, or run it from ${SERVICES}.`;
        } else {
          message = `restart: ${policy}, but nothing starts this container after boot: podman-restart.service is not enabled and no Quadlet unit runs ${name}`;
          fix = `Run the project from ${SERVICES}, or ${enable} (it starts restart: always containers only).`;
        }
      }
      out.push({
        code: "compose.restart-after-boot",
        status: "warn",
        message,
        remedy: fix,
        at: at(`services.${name}.restart`),
        service: name,
      });
    }
    return out;
  },
};
