// A rootless user's Docker clients should talk to that user's own Podman socket. A DOCKER_HOST or
// CONTAINER_HOST in the user's profile that names root's socket (/run/podman/podman.sock) sends
// them to root's containers, images and volumes instead, or to "permission denied" when the
// socket's group (SocketGroup= in podman.socket) grants access the user does not have.
// https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
// https://docs.podman.io/en/latest/markdown/podman-remote.1.html (CONTAINER_HOST)
import type { Check, CheckContext, Finding } from "../src/doctor/types.js";
import { userAssignments } from "../src/doctor/user-env.js";
import type { Host, UserInfo } from "../src/host/types.js";
import { safeLine, shellQuote } from "../src/text/safe-text.js";

export const ROOTFUL_SOCKETS = ["/run/podman/podman.sock", "/var/run/podman/podman.sock"];
const NAMES = ["DOCKER_HOST", "CONTAINER_HOST"] as const;

/** The user's group ids: the primary one, /etc/group memberships, and `id -G` on a live host. */
export async function userGroups(host: Host, user: UserInfo): Promise<Set<number>> {
  const out = new Set([user.gid]);
  const text = await host.readFile("/etc/group").catch(() => null);
  for (const line of (text ?? "").split("\n")) {
    const [, , gid, members] = line.split(":");
    if (
      gid &&
      members
        ?.split(",")
        .map((m) => m.trim())
        .includes(user.name)
    )
      out.add(Number(gid));
  }
  if (host.isLive) {
    const r = await host.run(["id", "-G", user.name], { timeoutMs: 3000 });
    if (r.exitCode === 0)
      for (const g of r.stdout.trim().split(/\s+/)) if (/^\d+$/.test(g)) out.add(Number(g));
  }
  return out;
}

/** A group's name from /etc/group (getent on a live host); null when unknown. */
export async function groupName(host: Host, gid: number): Promise<string | null> {
  const text = await host.readFile("/etc/group").catch(() => null);
  const local = (text ?? "").split("\n").find((l) => l.split(":")[2] === String(gid));
  if (local) return local.split(":")[0] || null;
  if (!host.isLive) return null;
  const r = await host.run(["getent", "group", String(gid)], { timeoutMs: 2000 });
  return r.exitCode === 0 ? r.stdout.split(":")[0] || null : null;
}

export const check: Check = {
  id: "socket-access",
  title: "Socket access for the user's clients",
  docs: "docs/checks/socket-access.md",
  applies: (facts) => (facts.rootful ? "the target user is root: every socket is open to it" : true),
  async run(ctx) {
    const { host, facts } = ctx;
    const user = facts.targetUser;
    const named = (await userAssignments(host, user, NAMES)).map((a) => ({
      name: a.name,
      value: a.value,
      where: `${a.file}:${a.line}`,
    }));
    if (user.name === host.currentUser().name) {
      for (const name of NAMES) {
        const value = host.env(name);
        if (value) named.push({ name, value, where: "podlift's environment" });
      }
    }
    const unix = named
      .map((n) => ({ ...n, path: /^unix:\/\/(\/.+)$/.exec(n.value)?.[1] }))
      .filter((n): n is typeof n & { path: string } => n.path !== undefined);
    if (unix.length === 0) {
      return [
        {
          code: "socket-access.none",
          status: "pass",
          message: `${safeLine(user.name)}'s environment files set no unix DOCKER_HOST or CONTAINER_HOST (the api-sockets check covers the default socket).`,
          evidence: { variables: named.map((n) => `${n.name} ${safeLine(n.where)}`) },
        },
      ];
    }
    const groups = await userGroups(host, user);
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const n of unix) {
      const path = safeLine(n.path);
      const where = safeLine(n.where);
      const evidence = { variable: n.name, value: safeLine(n.value), where, path };
      if (ROOTFUL_SOCKETS.includes(n.path)) {
        findings.push({
          code: "socket-access.rootful-socket",
          status: "warn",
          message: `${n.name} (${where}) points ${safeLine(user.name)}'s clients at root's Podman socket ${path}: they start root's containers, with root's images and volumes, not the rootless ones.`,
          evidence,
          remedy: `Point it at the user's own socket: ${n.name}=unix:///run/user/${user.uid}/podman/podman.sock (and systemctl --user enable --now podman.socket), unless sharing root's engine is intended.`,
        });
      }
      if (seen.has(n.path)) continue;
      seen.add(n.path);
      findings.push(...(await judgeAccess(ctx, n.path, groups, evidence)));
    }
    return findings;
  },
};

async function judgeAccess(
  { host, facts }: CheckContext,
  path: string,
  groups: Set<number>,
  evidence: Record<string, string>,
): Promise<Finding[]> {
  const user = facts.targetUser;
  const info = await host.stat(path);
  const safePath = safeLine(path);
  if (info === null) {
    return [
      {
        code: "socket-access.missing",
        status: "warn",
        message: `${evidence.variable} (${evidence.where}) names ${safePath}, which does not exist now.`,
        evidence,
        remedy: "Start the service that creates it, or correct the variable.",
      },
    ];
  }
  const rw = (bits: number) => (info.mode & bits) === bits;
  const open = info.uid === user.uid ? rw(0o600) : groups.has(info.gid) ? rw(0o060) : rw(0o006);
  const mode = `0${(info.mode & 0o7777).toString(8)}`;
  const more = { ...evidence, mode, uid: info.uid, gid: info.gid };
  if (open) {
    return [
      {
        code: "socket-access.ok",
        status: "pass",
        message: `${safeLine(user.name)} may connect to ${safePath} (mode ${mode}).`,
        evidence: more,
      },
    ];
  }
  if (info.uid !== user.uid && !groups.has(info.gid) && rw(0o060) && info.gid !== 0) {
    const group = await groupName(host, info.gid);
    const label = group === null ? `gid ${info.gid}` : `group ${safeLine(group)}`;
    return [
      {
        code: "socket-access.group-missing",
        status: "fail",
        message: `${safePath} grants access to ${label}, which ${safeLine(user.name)} is not in: the user's clients get "permission denied".`,
        evidence: { ...more, group },
        remedy: `${group === null ? "Name the group, then add" : "Add"} the user to it: sudo usermod -aG ${shellQuote(group ?? String(info.gid))} ${shellQuote(user.name)} (effective at the next login; root's socket means root-equivalent power), or use the user's own socket.`,
        fixes: group === null ? [] : ["socket-group"],
      },
    ];
  }
  return [
    {
      code: "socket-access.denied",
      status: "fail",
      message: `${safeLine(user.name)} may not connect to ${safePath} (mode ${mode}, owner ${info.uid}:${info.gid}) and no group grants it.`,
      evidence: more,
      remedy: `Use the user's own socket (unix:///run/user/${user.uid}/podman/podman.sock), or give the socket a group (SocketGroup= in a podman.socket drop-in) and add the user to it.`,
    },
  ];
}
