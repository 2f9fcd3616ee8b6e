// Podman's errors, as users meet them, mapped to what to do about them. Each pattern comes from
// podman's troubleshooting guide or an error seen on real hosts (the rlimit one on this project's
// own CI machine, whose root lacks CAP_SYS_RESOURCE).
// https://github.com/containers/podman/blob/main/troubleshooting.md
export interface Classified {
  code: string;
  cause: string;
  remedy: string;
}

const RULES: { test: RegExp; code: string; cause: string; remedy: string }[] = [
  {
    test: /error setting rlimit|setrlimit.*operation not permitted/i,
    code: "rlimit",
    cause:
      "Podman's default ulimits (nofile 1048576, nproc 4194304) exceed this host's hard limits, and the runtime may not raise them (no CAP_SYS_RESOURCE: a container, a sandbox or a locked-down service).",
    remedy:
      'Set default_ulimits in /etc/containers/containers.conf ([containers] default_ulimits = ["nofile=<hard>:<hard>"]) to the host\'s hard limits (ulimit -Hn, ulimit -Hu), or pass --ulimit host.',
  },
  {
    test: /no subuid ranges found|cannot find (UID|GID)s? for user|no subgid ranges found/i,
    code: "subid-missing",
    cause: "The user has no subordinate id ranges.",
    remedy:
      "See the subuid-ranges check: add ranges with usermod --add-subuids/--add-subgids, then podman system migrate.",
  },
  {
    test: /potentially insufficient UIDs or GIDs/i,
    code: "subid-too-small",
    cause: "The image uses ids beyond the user's subordinate ranges.",
    remedy: "Give the user 65536 subordinate ids (subuid-ranges check), then podman system migrate.",
  },
  {
    test: /newuidmap|newgidmap|write to (uid|gid)_map failed/i,
    code: "idmap",
    cause: "newuidmap/newgidmap could not write the user's id map.",
    remedy:
      "See the user-namespaces check: the helpers must be setuid root (or have file capabilities) and the ranges valid.",
  },
  {
    test: /cannot clone: (operation not permitted|invalid argument)|user namespaces are not enabled|unshare.*operation not permitted/i,
    code: "userns-denied",
    cause: "The kernel or a security policy refused to create a user namespace.",
    remedy: "See the user-namespaces check (sysctls, AppArmor restriction, container sandbox).",
  },
  {
    test: /XDG_RUNTIME_DIR|\/run\/user\/\d+.*(no such file|permission denied|not owned)/i,
    code: "runtime-dir",
    cause: "The user's runtime directory is missing or belongs to someone else (typical after su or sudo).",
    remedy:
      "Log in as the user directly (ssh, machinectl shell user@) or enable linger; see the xdg-runtime-dir check.",
  },
  {
    test: /short-name .* did not resolve|short-name resolution enforced/i,
    code: "short-name",
    cause: "An unqualified image name could not be resolved to a registry.",
    remedy:
      "Use fully qualified names (docker.io/library/postgres) or set unqualified-search-registries; see short-names.",
  },
  {
    test: /database (static dir|graph driver|run root).*(mismatch|does not match)|database configuration mismatch/i,
    code: "storage-mismatch",
    cause: "Podman's storage settings changed since its database was created.",
    remedy: "Run `podman system migrate`, or `podman system reset` if the stored containers may be lost.",
  },
  {
    test: /overlay.*not supported|kernel does not support overlay|fuse-overlayfs.*(not found|failed)/i,
    code: "storage-driver",
    cause: "The overlay storage driver cannot work here.",
    remedy:
      'Install fuse-overlayfs (older kernels) or set driver = "overlay" with a supported backing filesystem; see the storage check.',
  },
  {
    test: /\/dev\/net\/tun/i,
    code: "tun-device",
    cause: "The rootless network helper cannot open /dev/net/tun.",
    remedy:
      "Make /dev/net/tun exist with mode 0666 (sudo modprobe tun; sudo chmod 0666 /dev/net/tun), or pass the device into the container podlift runs in; see rootless-network.",
  },
  {
    test: /(slirp4netns|pasta|passt).*(not found|no such file|executable file not found)/i,
    code: "network-helper",
    cause: "The rootless network helper is missing.",
    remedy: "Install passt (Podman 4.4+) or slirp4netns; see the rootless-network check.",
  },
  {
    test: /cgroups? in hybrid mode (is )?not supported/i,
    code: "crun-hybrid",
    cause:
      "crun does not support this host's hybrid cgroup layout (cgroup v1 controllers with a v2 hierarchy beside them).",
    remedy:
      'Use runc, which does: runtime = "runc" in a containers.conf drop-in (podlift fix --only container-runtime, offered when the canary proved it), or boot with cgroup v2 only.',
  },
  {
    test: /(cgroup|cgroups).*(permission denied|read-only file system|no such file)|crun:.*cgroup/i,
    code: "cgroup",
    cause: "The runtime could not create the container's cgroup.",
    remedy: "See the cgroups check: use cgroup v2 with systemd delegation, or --cgroups=disabled for a test.",
  },
  {
    test: /(OCI runtime|runtime) .*(not found|executable file not found)|default OCI runtime .* not found/i,
    code: "oci-runtime",
    cause: "No OCI runtime (crun or runc) is installed.",
    remedy: "Install crun (or runc).",
  },
  {
    // Seen on this project's machine after many podman runs killed mid-create: each kept its lock.
    test: /exceeded num_locks|allocating lock for new (container|volume|pod)/i,
    code: "locks-exhausted",
    cause:
      "Podman has no free lock left for a new container (num_locks in containers.conf, 2048 by default): podman commands killed while they created containers keep their locks.",
    remedy:
      "With no podman command running, run `podman system renumber` as the same user (it reallocates the locks of what exists); raise num_locks under [engine] in containers.conf first only if the host really needs more.",
  },
  {
    test: /avc:\s+denied|SELinux/i,
    code: "selinux",
    cause: "SELinux denied the container's access.",
    remedy: "See the selinux-mode check; label bind mounts with :z/:Z and read `ausearch -m avc -ts recent`.",
  },
];

/**
 * The cause of a failure. Podman's own `Error:` lines are read first: a warning printed before
 * them (the first rootless run without subordinate ids warns "cannot find UID/GID for user ...",
 * and then runs with a single-id mapping) must not hide the error that stopped the container.
 */
export function classify(stderr: string): Classified {
  const errors = stderr
    .split("\n")
    .filter((l) => l.trim().startsWith("Error:"))
    .join("\n");
  for (const text of errors === "" ? [stderr] : [errors, stderr])
    for (const rule of RULES)
      if (rule.test.test(text)) return { code: rule.code, cause: rule.cause, remedy: rule.remedy };
  return {
    code: "unknown",
    cause: "Podman failed in a way podlift does not recognise.",
    remedy: "Read the error shown; run the other checks with --verbose.",
  };
}

/** The lines of stderr worth showing: Podman's own Error: line first, noise dropped. */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => l.startsWith("Error:")) ?? lines.at(-1) ?? "").slice(0, 500);
}
