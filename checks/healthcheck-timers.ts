// Podman has no daemon to run healthchecks: at container start it asks systemd for a transient
// timer (systemd-run --user for rootless) that runs `podman healthcheck run`. Without a systemd
// manager for that user the timer is never created, the health stays "starting" for ever, and
// compose's `depends_on: condition: service_healthy` waits for ever too.
// https://docs.podman.io/en/latest/markdown/podman-healthcheck-run.1.html
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (--health-cmd, "requires systemd")
import type { Check, CheckContext } from "../src/doctor/types.js";
import { safeLine, shellQuote } from "../src/text/safe-text.js";

export const check: Check = {
  id: "healthcheck-timers",
  title: "Healthcheck timers",
  docs: "docs/checks/healthcheck-timers.md",
  applies: () => true,
  async run(ctx) {
    const { host, facts } = ctx;
    const user = facts.targetUser;
    const manager = facts.rootful ? "/run/systemd/system" : `/run/user/${user.uid}/systemd`;
    const who = facts.rootful ? "systemd (PID 1)" : `${safeLine(user.name)}'s systemd user manager`;
    const lacking = facts.rootful
      ? "This host does not run systemd"
      : `${safeLine(user.name)} has no systemd user manager running`;
    if ((await host.stat(manager))?.type === "dir") {
      return [
        {
          code: "health.timers-ok",
          status: "pass",
          message: `${who} runs, so Podman can schedule healthchecks as systemd timers.`,
          evidence: { path: manager },
        },
      ];
    }
    const listed = await healthchecked(ctx);
    const remedy = facts.rootful
      ? "Run Podman on a host booted with systemd, or run `podman healthcheck run NAME` from cron or your init system."
      : `Give ${safeLine(user.name)} a user manager that outlives logins: sudo loginctl enable-linger ${shellQuote(user.name)} (log in through ssh or a display manager, not su), or run \`podman healthcheck run NAME\` from cron.`;
    if (listed.kind === "some") {
      return [
        {
          code: "health.unscheduled",
          status: "fail",
          message: `${lacking} (${manager} is missing), yet ${listed.names.length} container(s) have healthchecks that will never run: ${listed.names.join(", ")}. Their health stays "starting" and services that wait for them never start.`,
          evidence: { path: manager, containers: listed.names },
          remedy,
        },
      ];
    }
    return [
      {
        code: "health.no-timers",
        status: "warn",
        message: `${lacking} (${manager} is missing): a container with a healthcheck would never be checked${listed.kind === "unknown" ? ` (its containers could not be listed: ${listed.why})` : " (none has one yet)"}.`,
        evidence: { path: manager, containers: [] },
        remedy,
      },
    ];
  },
};

type Listed = { kind: "some"; names: string[] } | { kind: "none" } | { kind: "unknown"; why: string };

/** The target user's containers that have a healthcheck, by `podman ps -a` and `podman container inspect`. */
async function healthchecked({ host, facts }: CheckContext): Promise<Listed> {
  const user = facts.targetUser;
  const asOther = user.name !== host.currentUser().name;
  if (asOther && host.currentUser().uid !== 0)
    return { kind: "unknown", why: `podlift runs as ${host.currentUser().name}` };
  const listed = await facts.podman.containers(user);
  if (!listed.ok) return { kind: "unknown", why: listed.why };
  if (listed.inspected?.length === 0) return { kind: "none" };
  const names = new Set<string>();
  // ps shows health in Status ("Up 3 hours (starting)") once it has been set.
  for (const r of listed.rows) {
    if (typeof r.Status === "string" && /\((healthy|unhealthy|starting)\)/.test(r.Status))
      names.add(nameOf(r));
  }
  // Without inspect's answer, ps's Status hints stand alone.
  for (const c of listed.inspected ?? []) {
    const test = c.Config?.Healthcheck?.Test;
    if (Array.isArray(test) && test.length > 0 && test[0] !== "NONE")
      names.add(safeLine(String(c.Name ?? "?")));
  }
  return names.size > 0 ? { kind: "some", names: [...names].sort() } : { kind: "none" };
}

function nameOf(row: { Names?: unknown; Id?: unknown }): string {
  const names = Array.isArray(row.Names) ? row.Names : [];
  return safeLine(String(names[0] ?? row.Id ?? "?"));
}
