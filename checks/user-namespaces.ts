// Rootless containers live in a user namespace that the kernel must allow, with newuidmap and
// newgidmap (setuid or with file capabilities) to map the subordinate ranges. Static settings can
// look right while the runtime still fails (moby#47480), so the check also creates a namespace.
// https://github.com/containers/podman/blob/main/troubleshooting.md (rootless, user namespaces)
// https://ubuntu.com/blog/ubuntu-23-10-restricted-unprivileged-user-namespaces

import { userEnv } from "../src/doctor/podman-facts.js";
import type { Check, CheckContext, Finding } from "../src/doctor/types.js";
import { findBinary, installHint } from "../src/parse/distro.js";
import { mappedIds, uidMapLines } from "../src/parse/subid.js";
import { shellQuote } from "../src/text/safe-text.js";

const PERSIST = (key: string, value: string) =>
  `sudo sysctl -w ${key}=${value} && echo '${key}=${value}' | sudo tee /etc/sysctl.d/90-podlift-userns.conf`;

export const check: Check = {
  id: "user-namespaces",
  title: "User namespaces",
  docs: "docs/checks/user-namespaces.md",
  applies: (facts) =>
    facts.rootful ? "the target user is root: rootful Podman does not need user namespaces" : true,
  async run(ctx) {
    const { host } = ctx;
    const findings: Finding[] = [];
    const [maxNs, clone, apparmor] = await Promise.all([
      host.readSysctl("user.max_user_namespaces"),
      host.readSysctl("kernel.unprivileged_userns_clone"),
      host.readSysctl("kernel.apparmor_restrict_unprivileged_userns"),
    ]);
    if (maxNs === null) {
      findings.push({
        code: "userns.unsupported",
        status: "fail",
        message: "The kernel has no user namespace support (/proc/sys/user/max_user_namespaces is absent).",
        remedy: "Boot a kernel built with CONFIG_USER_NS=y.",
      });
    } else if (!/^\d+$/.test(maxNs)) {
      findings.push({
        code: "userns.unreadable",
        status: "warn",
        message: `user.max_user_namespaces has an unexpected value "${maxNs}".`,
        evidence: { sysctl: "user.max_user_namespaces", value: maxNs },
      });
    } else if (Number(maxNs) === 0) {
      findings.push({
        code: "userns.max-zero",
        status: "fail",
        message: "user.max_user_namespaces is 0: no user may create a user namespace.",
        evidence: { sysctl: "user.max_user_namespaces", value: 0 },
        remedy: `Allow them: ${PERSIST("user.max_user_namespaces", "28633")}`,
      });
    } else {
      findings.push({
        code: "userns.max-ok",
        status: "pass",
        message: `user.max_user_namespaces is ${maxNs}.`,
        evidence: { sysctl: "user.max_user_namespaces", value: Number(maxNs) },
      });
    }
    if (clone !== null) {
      findings.push(
        clone === "0"
          ? {
              code: "userns.clone-disabled",
              status: "fail",
              message:
                "kernel.unprivileged_userns_clone is 0: unprivileged users cannot create user namespaces.",
              evidence: { sysctl: "kernel.unprivileged_userns_clone", value: 0 },
              remedy: `Turn it on: ${PERSIST("kernel.unprivileged_userns_clone", "1")}`,
            }
          : {
              code: "userns.clone-ok",
              status: "pass",
              message: `kernel.unprivileged_userns_clone is ${clone}.`,
              evidence: { sysctl: "kernel.unprivileged_userns_clone", value: clone },
            },
      );
    }
    const restricted = apparmor === "1";
    const podmanProfile = restricted ? await apparmorUsernsProfile(ctx) : null;
    if (restricted) {
      findings.push(
        podmanProfile
          ? {
              code: "userns.apparmor-profile",
              status: "pass",
              message: `AppArmor restricts unprivileged user namespaces, and ${podmanProfile} allows them for Podman.`,
              evidence: {
                sysctl: "kernel.apparmor_restrict_unprivileged_userns",
                value: 1,
                profile: podmanProfile,
              },
            }
          : {
              code: "userns.apparmor-restricted",
              status: "fail",
              message:
                "AppArmor restricts unprivileged user namespaces and no profile allows them for Podman: rootless containers fail with 'operation not permitted'.",
              evidence: { sysctl: "kernel.apparmor_restrict_unprivileged_userns", value: 1 },
              remedy:
                "Add an AppArmor profile for /usr/bin/podman with the `userns,` rule (see the docs page), then `sudo apparmor_parser -r` it. Switching the restriction off host-wide (sysctl to 0) works but weakens the whole host.",
            },
      );
    }
    findings.push(...(await idmapHelpers(ctx)));
    findings.push(...(await functionalProbe(ctx, restricted && podmanProfile !== null)));
    return findings;
  },
};

async function apparmorUsernsProfile({ host }: CheckContext): Promise<string | null> {
  const dir = "/etc/apparmor.d";
  for (const name of (await host.listDir(dir)) ?? []) {
    const text = await host.readFile(`${dir}/${name}`).catch(() => null);
    if (
      text &&
      /^\s*userns,/m.test(text) &&
      /profile\s+\S*\s*\/usr\/(local\/)?bin\/(podman|\{[^}]*podman)/m.test(text)
    ) {
      return `${dir}/${name}`;
    }
  }
  return null;
}

async function idmapHelpers(ctx: CheckContext): Promise<Finding[]> {
  const { host, facts, signal } = ctx;
  const out: Finding[] = [];
  for (const name of ["newuidmap", "newgidmap"]) {
    const path = await findBinary(host, name);
    if (path === null) {
      out.push({
        code: "userns.idmap-missing",
        status: "fail",
        message: `${name} is not installed: Podman can map only the user's own id, and most images fail.`,
        evidence: { binary: name },
        remedy: `Install it: ${installHint(facts, { debian: "uidmap", fedora: "shadow-utils", arch: "shadow", suse: "shadow", alpine: "shadow-uidmap" })}`,
      });
      continue;
    }
    const info = await host.stat(path);
    const setuid = info !== null && info.uid === 0 && (info.mode & 0o4000) !== 0;
    if (setuid) {
      out.push({
        code: "userns.idmap-ok",
        status: "pass",
        message: `${path} is setuid root.`,
        evidence: { path, mode: (info?.mode ?? 0).toString(8) },
      });
      continue;
    }
    const caps = await host.run(["getcap", path], { timeoutMs: 2000, signal });
    const capName = name === "newuidmap" ? "cap_setuid" : "cap_setgid";
    if (caps.exitCode === 0 && caps.stdout.includes(capName)) {
      out.push({
        code: "userns.idmap-ok",
        status: "pass",
        message: `${path} has the file capability ${capName}.`,
        evidence: { path, getcap: caps.stdout.trim() },
      });
    } else {
      out.push({
        code: "userns.idmap-no-privilege",
        status: caps.notFound ? "warn" : "fail",
        message: caps.notFound
          ? `${path} is not setuid and getcap is not installed to look for file capabilities.`
          : `${path} is neither setuid root nor has ${capName}: it cannot write multi-range id maps.`,
        evidence: { path, mode: (info?.mode ?? 0).toString(8), owner: info?.uid ?? null },
        remedy: `Restore it: sudo chmod u+s ${path} (Debian, Ubuntu), or sudo setcap ${capName}=ep ${path} (Fedora, RHEL).`,
      });
    }
  }
  return out;
}

// Static settings can pass while the runtime fails: really create a namespace as the user.
async function functionalProbe(ctx: CheckContext, profileCoversPodman: boolean): Promise<Finding[]> {
  const { host, facts, signal } = ctx;
  const user = facts.targetUser;
  const me = host.currentUser();
  if (me.name !== user.name && me.uid !== 0) {
    return [
      {
        code: "userns.probe-skipped",
        status: "warn",
        message: `Cannot create a user namespace as ${user.name} while running as ${me.name}; static settings only.`,
        remedy: `Run podlift as ${user.name}, or as root with --user ${shellQuote(user.name)}.`,
      },
    ];
  }
  const asUser = me.name === user.name ? undefined : user.name;
  const probe = await host.run(["unshare", "--user", "--map-root-user", "true"], {
    timeoutMs: 3000,
    user: asUser,
    signal,
  });
  const out: Finding[] = [];
  if (probe.notFound) {
    // util-linux is almost always there; without it, the podman probe below is the only one.
  } else if (probe.exitCode === 0) {
    out.push({
      code: "userns.probe-ok",
      status: "pass",
      message: `${user.name} can create a user namespace.`,
      evidence: { command: probe.argv.join(" ") },
    });
  } else {
    out.push({
      code: "userns.probe-failed",
      status: profileCoversPodman ? "warn" : "fail",
      message: probe.timedOut
        ? `Creating a user namespace as ${user.name} did not finish within 3000 ms.`
        : profileCoversPodman
          ? `unshare could not create a user namespace as ${user.name} (expected under the AppArmor restriction; Podman has a profile).`
          : `${user.name} cannot create a user namespace, whatever the settings above say.`,
      evidence: {
        command: probe.argv.join(" "),
        exitCode: probe.exitCode,
        stderr: probe.stderr.trim().slice(0, 400),
      },
      remedy:
        "Look for a seccomp or LSM policy, a container sandbox, or a kernel boot option (user_namespace.enable=0) that blocks it.",
    });
  }
  // What Podman maps: its `podman info` (shared with other checks, run inside the user's
  // namespace) lists the live namespace's id maps; `podman unshare` is asked only when it lists
  // none (one podman process fewer per run, and the rootless store's lock not taken again).
  const mapping = await podmanMapping(ctx);
  if (mapping === null) return out;
  if (mapping.ok) {
    const mapped = mappedIds(mapping.lines);
    out.push({
      code: mapped > 1 ? "userns.podman-map-ok" : "userns.podman-map-single",
      status: mapped > 1 ? "pass" : "fail",
      message:
        mapped > 1
          ? `Podman maps ${mapped} ids for ${user.name}.`
          : `Podman maps only ${user.name}'s own id: the subordinate ranges are not in use.`,
      evidence: { uidMap: mapping.lines, source: mapping.source },
      remedy:
        mapped > 1
          ? undefined
          : "Check the subuid-ranges findings and the idmap helpers, then run `podman system migrate` as the user.",
    });
  } else {
    out.push({
      code: "userns.podman-unshare-failed",
      status: "fail",
      message: `Podman cannot set up ${user.name}'s user namespace (${mapping.source} fails).`,
      evidence: { exitCode: mapping.exitCode, stderr: mapping.stderr, source: mapping.source },
      remedy:
        "Read the error above; `podman system migrate` as the user after fixing subuid/subgid often clears it.",
    });
  }
  return out;
}

type Mapping =
  | { ok: true; lines: string[]; source: string }
  | { ok: false; exitCode: number | null; stderr: string; source: string };

/**
 * The uid map of Podman's user namespace for the target, as "inside outside count" lines: from
 * `podman info` (host.idMappings), else from `podman unshare cat /proc/self/uid_map`; null when
 * Podman is not installed.
 */
async function podmanMapping({ host, facts, signal }: CheckContext): Promise<Mapping | null> {
  const user = facts.targetUser;
  const info = await facts.podman.info(user);
  if (!info.ok && info.reason === "not-installed") return null;
  const fromInfo = info.ok ? uidMapLines(info.info.host?.idMappings?.uidmap) : null;
  if (fromInfo) return { ok: true, lines: fromInfo, source: "podman info" };
  if (!info.ok && info.reason === "failed")
    return {
      ok: false,
      exitCode: info.command.exitCode,
      stderr: info.command.stderr.trim().slice(0, 400),
      source: "podman info",
    };
  const me = host.currentUser();
  const podman = await host.run(["podman", "unshare", "cat", "/proc/self/uid_map"], {
    timeoutMs: 5000,
    user: me.name === user.name ? undefined : user.name,
    env: await userEnv(host, user),
    signal,
  });
  if (podman.notFound) return null;
  if (podman.exitCode !== 0)
    return {
      ok: false,
      exitCode: podman.exitCode,
      stderr: podman.stderr.trim().slice(0, 400),
      source: "podman unshare",
    };
  return { ok: true, lines: uidMapLines(podman.stdout) ?? [], source: "podman unshare" };
}
