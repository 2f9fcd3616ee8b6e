// Top-level and service keys of the Compose specification; anything else (but x- extensions) is
// a typo or a tool-specific key that Podman's compose providers may reject or ignore.
// https://github.com/compose-spec/compose-spec/blob/main/05-services.md
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

const TOP_KEYS = new Set([
  "version",
  "name",
  "include",
  "services",
  "networks",
  "volumes",
  "configs",
  "secrets",
  "models",
]);
const SERVICE_KEYS = new Set(
  (
    "annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name cpu_count " +
    "cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset credential_spec depends_on deploy " +
    "develop device_cgroup_rules devices dns dns_opt dns_search domainname driver_opts entrypoint env_file environment expose " +
    "extends external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels label_file links " +
    "logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit models network_mode networks oom_kill_disable " +
    "oom_score_adj pid pids_limit platform ports post_start pre_stop privileged profiles provider pull_policy read_only restart " +
    "runtime scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty " +
    "ulimits use_api_socket user userns_mode uts volumes volumes_from working_dir"
  ).split(" "),
);

export const rule: ComposeRule = {
  id: "unknown-keys",
  title: "Keys outside the Compose specification",
  docs: "docs/compose-rules/unknown-keys.md",
  codes: {
    "compose.unknown-key": {
      status: ["warn"],
      summary: "a top-level or service key outside the Compose specification (`x-` keys are fine)",
    },
  },
  facts: [],
  requires: ["services"],
  run({ project: p, services, at }) {
    const out: ComposeFinding[] = [];
    const unknown = (
      key: string,
      where: string,
      known: Set<string>,
      scope: string,
      service: string | null,
    ) => {
      if (known.has(key) || key.startsWith("x-")) return;
      out.push({
        code: "compose.unknown-key",
        status: "warn",
        service,
        message: `${scope} key "${key}" is not in the Compose specification: a typo, or a key only one tool knows`,
        remedy: `Check the spelling; prefix tool-specific keys with x- so every compose provider ignores them.`,
        at: p.positions.get(`key:${where}`) ?? at(where),
      });
    };
    for (const key of Object.keys(p.data)) unknown(key, key, TOP_KEYS, "top-level", null);
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const key of Object.keys(svc))
        unknown(key, `services.${name}.${key}`, SERVICE_KEYS, "service", name);
    }
    return out;
  },
};
