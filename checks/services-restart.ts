// Containers with a restart policy come back after a reboot only when something starts them:
// Docker's daemon (docker.service enabled), a systemd unit (Quadlet or `podman generate systemd`,
// which label the container PODMAN_SYSTEMD_UNIT), or podman-restart.service, which starts every
// container with restart policy always at boot; for a rootless user, only when the user lingers.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html#restart-policy
// https://docs.podman.io/en/latest/markdown/podman-systemd.unit.5.html
import type { Check, Facts, Finding } from "../src/doctor/types.js";
import { hasSystemd } from "../src/host/systemd.js";
import type { Host, UserInfo } from "../src/host/types.js";
import { safeLine, shellQuote } from "../src/text/safe-text.js";

interface Restarting {
  engine: "docker" | "podman";
  name: string;
  policy: string;
}

const DOCKER = "/var/lib/docker/containers";
const WANTS = ["multi-user.target.wants", "default.target.wants"];

async function anyExists(host: Host, paths: string[]): Promise<boolean> {
  // lstat: an enablement is a symlink, whose target may live outside the tree read.
  return (await Promise.all(paths.map((p) => host.lstat(p)))).some((s) => s !== null);
}

/** Unit files that would run a container of this name (Quadlet or generate systemd), for the target. */
function unitPaths(name: string, user: UserInfo, rootful: boolean): string[] {
  const dirs = rootful
    ? ["/etc/containers/systemd", "/etc/systemd/system"]
    : [
        `${user.home}/.config/containers/systemd`,
        "/etc/containers/systemd/users",
        `${user.home}/.config/systemd/user`,
      ];
  return dirs.flatMap((d) => [`${d}/${name}.container`, `${d}/container-${name}.service`]);
}

/** Docker's containers from its own files: the daemon need not run (nor answer) for this. */
async function dockerContainers(host: Host, unreadable: string[]): Promise<Restarting[]> {
  const ids = (await host.listDir(DOCKER)) ?? [];
  const out: Restarting[] = [];
  for (const id of ids) {
    try {
      const [hostConfig, config] = await Promise.all([
        host.readFile(`${DOCKER}/${id}/hostconfig.json`),
        host.readFile(`${DOCKER}/${id}/config.v2.json`),
      ]);
      if (hostConfig === null || config === null) continue;
      const policy =
        (JSON.parse(hostConfig) as { RestartPolicy?: { Name?: string } }).RestartPolicy?.Name ?? "";
      const name = String((JSON.parse(config) as { Name?: string }).Name ?? id).replace(/^\//, "");
      if (policy !== "" && policy !== "no") out.push({ engine: "docker", name, policy });
    } catch (error) {
      unreadable.push(`${DOCKER}/${id}: ${(error as Error).message}`);
    }
  }
  return out;
}

/** Podman's containers for the target (root or the user), those not started by a systemd unit. */
async function podmanContainers(facts: Facts, unreadable: string[]): Promise<Restarting[]> {
  const listed = await facts.podman.containers(facts.targetUser);
  if (!listed.ok) return [];
  if (listed.inspected === null) {
    unreadable.push(listed.inspectError ?? "podman container inspect failed");
    return [];
  }
  return listed.inspected
    .filter((c) => {
      const policy = String(c.HostConfig?.RestartPolicy?.Name ?? "");
      return policy !== "" && policy !== "no" && !c.Config?.Labels?.PODMAN_SYSTEMD_UNIT;
    })
    .map((c) => ({
      engine: "podman" as const,
      name: String(c.Name ?? "?"),
      policy: String(c.HostConfig?.RestartPolicy?.Name),
    }));
}

export const check: Check = {
  id: "services-restart",
  title: "Containers that come back after a reboot",
  docs: "docs/checks/services-restart.md",
  applies: () => true,
  async run({ host, facts }) {
    const user = facts.targetUser;
    const rootful = facts.rootful;
    const unreadable: string[] = [];
    const systemd = await hasSystemd(host);
    const [docker, podman] = await Promise.all([
      dockerContainers(host, unreadable),
      podmanContainers(facts, unreadable),
    ]);
    const findings: Finding[] = unreadable.map((u) => ({
      code: "services-restart.unreadable",
      status: "warn",
      message: `A container's configuration could not be read: ${safeLine(u)}`,
      evidence: { error: u },
    }));
    if (docker.length + podman.length === 0) {
      findings.push({
        code: "services-restart.none",
        status: "pass",
        message: "No container has a restart policy that needs a unit.",
      });
      return findings;
    }
    if (!systemd) {
      findings.push({
        code: "services-restart.no-systemd",
        status: "warn",
        message: `${docker.length + podman.length} container(s) have a restart policy, and this host has no systemd: they come back after a reboot only if the host's init starts them.`,
        evidence: { containers: [...docker, ...podman].map((c) => `${c.engine}:${c.name}`) },
        remedy:
          "Have the init system run `podman start --all --filter restart-policy=always` at boot, or see `podlift migrate services --dry-run`.",
      });
      return findings;
    }
    const dockerEnabled = await anyExists(
      host,
      WANTS.map((w) => `/etc/systemd/system/${w}/docker.service`),
    );
    const restartDir = rootful ? "/etc/systemd/system" : `${user.home}/.config/systemd/user`;
    const podmanRestart = await anyExists(
      host,
      WANTS.map((w) => `${restartDir}/${w}/podman-restart.service`),
    );
    const lingers = rootful || (await host.stat(`/var/lib/systemd/linger/${user.name}`)) !== null;
    const lost: Restarting[] = [];
    for (const c of docker)
      if (!dockerEnabled && !(await anyExists(host, unitPaths(c.name, user, true)))) lost.push(c);
    for (const c of podman) {
      const unit = await anyExists(host, unitPaths(c.name, user, rootful));
      // A unit or podman-restart.service: either starts it, but a rootless user's only when lingering.
      if (!((unit || (podmanRestart && c.policy === "always")) && lingers)) lost.push(c);
    }
    if (lost.length === 0) {
      findings.push({
        code: "services-restart.ok",
        status: "pass",
        message: `${docker.length + podman.length} container(s) with a restart policy are started at boot (by Docker, a unit or podman-restart.service).`,
      });
      return findings;
    }
    const names = lost.map((c) => `${c.name} (${c.engine}, restart ${c.policy})`);
    const why = [
      ...(docker.length > 0 && !dockerEnabled ? ["docker.service is not enabled"] : []),
      ...(podman.length > 0 && !podmanRestart
        ? [`podman-restart.service is not enabled${rootful ? "" : ` for ${user.name}`}`]
        : []),
      ...(!lingers ? [`${user.name} does not linger`] : []),
      "no Quadlet or systemd unit runs them",
    ];
    findings.push({
      code: "services-restart.lost",
      status: "fail",
      message: `These will not come back after a reboot: ${safeLine(names.join(", "))}; ${why.join(", ")}.`,
      evidence: {
        containers: names,
        dockerServiceEnabled: dockerEnabled,
        podmanRestartEnabled: podmanRestart,
        lingers,
      },
      remedy: [
        `podlift migrate services${rootful ? "" : ` --user ${shellQuote(user.name)}`} --dry-run (units for them)`,
        `or ${rootful ? "systemctl" : `systemctl --user -M ${shellQuote(user.name)}@`} enable podman-restart.service`,
        ...(!lingers ? [`and sudo loginctl enable-linger ${shellQuote(user.name)}`] : []),
      ].join(", "),
    });
    return findings;
  },
};
