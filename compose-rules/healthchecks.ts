// Podman has no daemon to run healthchecks: it schedules each one as a transient systemd timer
// (systemd-run, --user rootless). With no systemd, or rootless with no systemd user manager
// (/run/user/<uid>/systemd: no session, no linger), the check never runs, the container never
// turns healthy, and a `depends_on: condition: service_healthy` waits forever. A healthcheck that
// is disabled (`disable: true`, `test: ["NONE"]`) never turns healthy anywhere. Whether the
// installed podman-compose waits at all is depends-on-conditions' question, not this rule's.
// https://docs.podman.io/en/latest/markdown/podman-healthcheck-run.1.html
// https://github.com/containers/podman/blob/main/libpod/healthcheck_linux.go (createTimer)
// https://github.com/compose-spec/compose-spec/blob/main/05-services.md#healthcheck
import semver from "semver";
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";

/** podman-compose waits for conditions from this version (see depends-on-conditions). */
const CONDITIONS_FROM = "1.4.0";

const isMapping = (v: unknown): v is Service => typeof v === "object" && v !== null && !Array.isArray(v);

/** A healthcheck the compose file turns off: it never reports healthy. */
export function disabled(hc: Service): boolean {
  if (hc.disable === true) return true;
  const test = hc.test;
  return (Array.isArray(test) && test[0] === "NONE") || test === "NONE";
}

export const rule: ComposeRule = {
  id: "healthchecks",
  title: "service_healthy on a healthcheck that never runs",
  docs: "docs/compose-rules/healthchecks.md",
  codes: {
    "compose.healthcheck-never-runs": {
      status: ["warn", "fail"],
      summary:
        "`condition: service_healthy` on a service whose healthcheck never runs: no systemd, or rootless with no systemd user manager",
    },
    "compose.healthcheck-disabled": {
      status: ["fail"],
      summary: "`condition: service_healthy` on a service whose healthcheck is disabled",
    },
  },
  facts: ["rootless", "userName", "uid", "hostRestarts", "userManager", "podmanCompose"],
  requires: ["services"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    // Why healthchecks never run here, or null when they do (or it cannot be told).
    let why: string | null = null;
    if (host.hostRestarts?.systemd === false)
      why = "this host does not run systemd, and Podman runs healthchecks only from systemd timers";
    else if (host.rootless && host.userManager === false)
      why = `${host.userName} has no systemd user manager (/run/user/${host.uid}/systemd), and rootless Podman runs healthchecks only from the user's systemd timers`;
    // Before 1.4 podman-compose starts the dependent at once (depends-on-conditions says so):
    // nothing hangs, but the dependency is still never healthy.
    const v = host.podmanCompose ?? null;
    const coerced = v === null ? null : semver.coerce(v);
    const waits = coerced === null || semver.gte(coerced, CONDITIONS_FROM);
    for (const [name, svc] of Object.entries(services)) {
      if (!isMapping(svc) || !isMapping(svc.depends_on)) continue;
      for (const [dep, spec] of Object.entries(svc.depends_on)) {
        if (!isMapping(spec) || spec.condition !== "service_healthy") continue;
        const hc = services[dep]?.healthcheck;
        // No healthcheck here (the image's may apply), or one podman-compose refuses outright.
        if (!isMapping(hc)) continue;
        const where = at(`services.${name}.depends_on.${dep}`);
        if (disabled(hc)) {
          out.push({
            code: "compose.healthcheck-disabled",
            status: "fail",
            message: `waits for ${dep} to be healthy, but ${dep}'s healthcheck is disabled (${hc.disable === true ? "disable: true" : 'test: ["NONE"]'}): it never turns healthy`,
            remedy: `Give ${dep} a healthcheck test, or wait for condition: service_started.`,
            at: where,
            service: name,
          });
          continue;
        }
        if (why === null) continue;
        out.push({
          code: "compose.healthcheck-never-runs",
          status: waits ? "fail" : "warn",
          message: `waits for ${dep} to be healthy, but ${why}: ${dep} never turns healthy${waits ? `, and ${name} waits forever` : ""}`,
          remedy: host.rootless
            ? `Run the project in a session with a systemd user manager (loginctl enable-linger ${host.userName}, or log in through PAM/ssh, not su), or wait for condition: service_started and make ${name} retry.`
            : `Run it on a host with systemd, or wait for condition: service_started and make ${name} retry (or run podman healthcheck run ${dep} from cron).`,
          at: where,
          service: name,
        });
      }
    }
    return out;
  },
};
