// `deploy:` is Swarm's section; podman-compose reads little of it (podman_compose.py 1.6.0,
// container_to_cpu_res_args and the replicas loop in compose.run): resources.limits cpus and
// memory, reservations.memory, limits.pids from 1.4.0, GPU devices (gpu-requests), and replicas
// only beside an explicit `mode: replicated` from 1.4.0 (before, replicas alone). placement,
// update_config, rollback_config, restart_policy, endpoint_mode, mode: global and
// reservations.cpus are never read: silence where the file asks for something.
// https://github.com/containers/podman-compose/blob/v1.6.0/podman_compose.py
// Rootless, a limit needs its cgroup controller delegated to the user: on cgroup v2 without it
// the container does not start ("the requested cgroup controller `cpu` is not available",
// containers/crun#518), on cgroup v1 rootless Podman ignores limits.
// https://rootlesscontaine.rs/getting-started/common/cgroup2/
import semver from "semver";
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";

/** Where podman-compose started reading limits.pids, and replicas only with mode: replicated. */
const FROM_1_4 = "1.4.0";

const IGNORED = ["placement", "update_config", "rollback_config", "restart_policy", "endpoint_mode"];

/** The controller each limit needs. */
const CONTROLLER: Record<string, string> = { cpus: "cpu", memory: "memory", pids: "pids" };

const mapping = (v: unknown): Service | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Service) : null;

export const rule: ComposeRule = {
  id: "deploy-ignored",
  title: "deploy: keys podman-compose ignores, and limits rootless Podman cannot set",
  docs: "docs/compose-rules/deploy-ignored.md",
  codes: {
    "compose.deploy-ignored": {
      status: ["warn"],
      summary:
        "a `deploy:` key podman-compose never reads (placement, update_config, restart_policy, mode: global, …), or replicas it does not honour",
    },
    "compose.deploy-limit-unenforced": {
      status: ["warn", "fail"],
      summary:
        "a `deploy.resources.limits` entry under rootless without its cgroup controller delegated (fail: cgroup v2, the container does not start; warn: cgroup v1, ignored)",
    },
  },
  facts: ["rootless", "userName", "uid", "podmanCompose", "delegatedControllers"],
  requires: ["services"],
  edits: {
    // podman-compose 1.4 and later count replicas only beside mode: replicated.
    "compose.deploy-ignored": {
      risk: "safe",
      edit(line, _env, f) {
        if (f.data?.edit !== "mode-replicated") return null;
        const m = /^(\s*)replicas:\s*[^\s#]/.exec(line);
        return m ? [`${m[1]}mode: replicated`, line] : null;
      },
    },
  },
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    const v = host.podmanCompose ?? null;
    const coerced = v === null ? null : semver.coerce(v);
    const from14 = coerced === null ? null : semver.gte(coerced, FROM_1_4);
    const pc = `podman-compose ${v ?? ""}`.trim();
    const warn = (
      name: string,
      path: string,
      message: string,
      remedy: string,
      data?: Record<string, string>,
    ) =>
      out.push({
        code: "compose.deploy-ignored",
        status: "warn",
        message,
        remedy,
        at: at(`key:services.${name}.deploy.${path}`),
        service: name,
        ...(data ? { data } : {}),
      });
    for (const [name, svc] of Object.entries(services)) {
      const deploy = mapping(mapping(svc)?.deploy);
      if (deploy === null) continue;
      for (const key of IGNORED)
        if (deploy[key] !== undefined)
          warn(
            name,
            key,
            `deploy.${key} is a Swarm setting ${pc} never reads: it has no effect`,
            key === "restart_policy"
              ? "Use the service's restart: (and see restart-after-boot), or remove it."
              : "Remove it, or keep it knowing Podman ignores it.",
          );
      if (deploy.mode === "global")
        warn(
          name,
          "mode",
          `deploy.mode: global (one container per Swarm node) means nothing to ${pc}: it runs one container`,
          "Remove it.",
        );
      // scale: wins over replicas in podman-compose, whatever the mode.
      else if (
        deploy.replicas !== undefined &&
        deploy.mode !== "replicated" &&
        from14 === true &&
        mapping(svc)?.scale === undefined
      )
        warn(
          name,
          "replicas",
          `deploy.replicas: ${String(deploy.replicas)}, but ${pc} reads replicas only beside mode: replicated: it runs one container`,
          "Add mode: replicated beside replicas (or use scale:).",
          deploy.mode === undefined ? { edit: "mode-replicated" } : undefined,
        );
      const resources = mapping(deploy.resources);
      if (mapping(resources?.reservations)?.cpus !== undefined)
        warn(
          name,
          "resources.reservations.cpus",
          `deploy.resources.reservations.cpus is never read by ${pc}: no CPU is reserved`,
          "Remove it, or set cpu_shares: for a relative weight.",
        );
      const limits = mapping(resources?.limits);
      if (limits === null) continue;
      for (const [limit, controller] of Object.entries(CONTROLLER)) {
        const value = limits[limit];
        if (value === undefined || value === null) continue;
        const path = `resources.limits.${limit}`;
        if (limit === "pids" && from14 === false) {
          warn(
            name,
            path,
            `deploy.resources.limits.pids is read by podman-compose only from ${FROM_1_4}; ${pc} ignores it`,
            `Use pids_limit: ${String(value)}, or podman-compose ${FROM_1_4} or later.`,
          );
          continue;
        }
        const delegated = host.delegatedControllers;
        if (!host.rootless || delegated === undefined || delegated?.includes(controller)) continue;
        const delegate = `Delegate it to ${host.userName}: a drop-in /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids, then systemctl daemon-reload and log in again (systemd 252 and later delegate cpu by default).`;
        out.push({
          code: "compose.deploy-limit-unenforced",
          status: delegated === null ? "warn" : "fail",
          message:
            delegated === null
              ? `deploy.resources.limits.${limit}: ${String(value)} is ignored: rootless Podman sets no limits on cgroup v1`
              : `deploy.resources.limits.${limit}: ${String(value)} needs the ${controller} cgroup controller, which is not delegated to ${host.userName} (they have: ${delegated.join(" ") || "none"}): the container does not start ("the requested cgroup controller \`${controller}\` is not available")`,
          remedy:
            delegated === null
              ? "Boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1), or run the project rootful, or drop the limit."
              : `${delegate} Or drop the limit.`,
          at: at(`key:services.${name}.deploy.${path}`),
          service: name,
        });
      }
    }
    return out;
  },
};
