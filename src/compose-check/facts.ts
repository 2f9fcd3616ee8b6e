// The host facts compose rules read, gathered once per run through the host (and, for the parts
// that need it, the Docker engine): the rules themselves do no I/O.
import { stat } from "node:fs/promises";
import { bindSources } from "../../compose-rules/bind-unreadable.js";
import { parseProcNet } from "../../compose-rules/port-in-use.js";
import type { Loaded } from "../compose/project.js";
import type { Facts } from "../doctor/types.js";
import { knownHomes } from "../host/selinux-paths.js";
import type { Host, UserInfo, WritableHost } from "../host/types.js";
import type { DockerClient } from "../migrate/docker.js";
import type { BindStat, HostContext, Listener } from "./types.js";

/** An image as the Docker engine lists it (GET /images/json). */
export interface DockerImageSummary {
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
}

/**
 * The name:tag of every image Docker holds only locally: a tag whose repository has no registry
 * digest (built here, or tagged here from another image, and never pushed or pulled by that name).
 */
export function localOnlyImages(images: DockerImageSummary[]): Set<string> {
  const out = new Set<string>();
  for (const image of images) {
    const digests = image.RepoDigests ?? [];
    for (const tag of image.RepoTags ?? []) {
      if (tag === "<none>:<none>") continue;
      const repo = tag.slice(
        0,
        tag.lastIndexOf(":") > tag.lastIndexOf("/") ? tag.lastIndexOf(":") : tag.length,
      );
      if (!digests.some((d) => d.startsWith(`${repo}@`))) out.add(tag);
    }
  }
  return out;
}

/** Every fact but bindAccess, which depends on the project (see bindAccess). */
export async function gatherContext(host: WritableHost, facts: Facts): Promise<HostContext> {
  // The doctor's own probes (src/doctor/host-probes.ts), read once per run.
  const [{ start }, enforce, cdiDevices, [podmanCompose]] = await Promise.all([
    facts.probes.portStart(),
    facts.probes.selinuxEnforce(),
    facts.probes.cdiDevices(),
    facts.probes.composeProviders(),
  ]);
  const { answeringDocker } = await import("../migrate/docker.js");
  // Optional: without an engine that answers, no volume or local-image findings.
  const docker = await answeringDocker(host);
  const dockerVolumes = docker ? await knownVolumes(docker, host, facts) : null;
  const localImages = docker
    ? await docker
        .call<DockerImageSummary[]>("GET", "/images/json", undefined, 10000)
        .then(localOnlyImages, () => undefined)
    : undefined;
  return {
    rootless: !facts.rootful,
    userName: facts.targetUser.name,
    uid: facts.targetUser.uid,
    portStart: start,
    selinuxEnforcing: enforce?.trim() === "1",
    cdiDevices,
    podmanCompose:
      podmanCompose?.exitCode === 0
        ? (/podman-compose version:?\s*(\S+)/.exec(podmanCompose.stdout)?.[1] ?? null)
        : await userPodmanCompose(facts),
    home: facts.targetUser.home,
    homes: await knownHomes(host),
    localImages,
    ...(dockerVolumes ? { dockerVolumes } : {}),
    listening: await facts.probes.listening(),
    podmanNetworks: await podmanNetworks(host, facts),
    // Shared with the checks (run once); a podman that hangs or crashes leaves it unknown.
    podmanVersion: await Promise.resolve()
      .then(() => facts.podman.version())
      .catch(() => undefined),
    hostRestarts: {
      systemd: (await host.stat("/run/systemd/system")) !== null,
      lingers: facts.rootful
        ? null
        : (await host.stat(`/var/lib/systemd/linger/${facts.targetUser.name}`)) !== null,
      // Another user's home and runtime folder cannot be read: unknown, not absent.
      ...(mayLookInside(host, facts) ? await bootStarters(host, facts) : {}),
    },
    ...(facts.rootful
      ? {}
      : {
          ...(mayLookInside(host, facts)
            ? { userManager: await userManager(host, facts.targetUser.uid) }
            : {}),
          delegatedControllers: await delegatedControllers(host, facts.targetUser.uid),
        }),
  };
}

/**
 * The cgroup controllers systemd delegates to a user (what rootless Podman can limit): null on
 * cgroup v1, undefined when /sys/fs/cgroup cannot be read.
 * https://rootlesscontaine.rs/getting-started/common/cgroup2/
 */
export async function delegatedControllers(host: Host, uid: number): Promise<string[] | null | undefined> {
  const read = (p: string) => host.readFile(p).catch(() => null);
  if ((await read("/sys/fs/cgroup/cgroup.controllers")) === null)
    return (await host.stat("/sys/fs/cgroup").catch(() => null)) === null ? undefined : null;
  // No user.slice: not the host's hierarchy (a cgroup namespace, a container's view): unknown.
  if ((await host.stat("/sys/fs/cgroup/user.slice").catch(() => null)) === null) return undefined;
  const mine = await read(
    `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service/cgroup.controllers`,
  );
  // No cgroup of the user's manager: nothing is delegated (Podman falls back to cgroupfs).
  return (mine ?? "").split(/\s+/).filter(Boolean);
}

/**
 * Whether podlift can see into the target user's private folders (~/.config, /run/user/<uid>):
 * as root, or as that user. As anyone else a missing file there proves nothing.
 */
function mayLookInside(host: Host, facts: Facts): boolean {
  const me = host.currentUser().uid;
  return facts.rootful || me === 0 || me === facts.targetUser.uid;
}

/** A rootless user's systemd manager runs when /run/user/<uid>/systemd exists. */
export async function userManager(host: Host, uid: number): Promise<boolean> {
  return (await host.stat(`/run/user/${uid}/systemd`).catch(() => null)) !== null;
}

/** The most Quadlet units bootStarters reads. */
export const MAX_QUADLETS = 500;

/**
 * What starts containers at boot for the user who runs the project (root's, rootful): an enabled
 * podman-restart.service (the wants link; lstat, so a link into /usr resolves under --root too)
 * and the Quadlet .container units, by file name and ContainerName=.
 * https://docs.podman.io/en/latest/markdown/podman-systemd.unit.5.html (unit search paths)
 */
export async function bootStarters(
  host: Host,
  facts: Facts,
): Promise<{ podmanRestart: boolean; quadlets: string[] }> {
  const home = facts.targetUser.home;
  const wants = facts.rootful
    ? ["default.target.wants", "multi-user.target.wants"].map(
        (t) => `/etc/systemd/system/${t}/podman-restart.service`,
      )
    : [`${home}/.config/systemd/user/default.target.wants/podman-restart.service`];
  let podmanRestart = false;
  for (const link of wants) if ((await host.lstat(link).catch(() => null)) !== null) podmanRestart = true;
  const dir = facts.rootful ? "/etc/containers/systemd" : `${home}/.config/containers/systemd`;
  const quadlets: string[] = [];
  const units = ((await host.listDir(dir).catch(() => null)) ?? []).filter((n) => n.endsWith(".container"));
  for (const unit of units.slice(0, MAX_QUADLETS)) {
    quadlets.push(unit.slice(0, -".container".length));
    const text = await host.readFile(`${dir}/${unit}`).catch(() => null);
    const named = /^\s*ContainerName\s*=\s*(\S+)/m.exec(text ?? "")?.[1];
    if (named) quadlets.push(named);
  }
  return { podmanRestart, quadlets };
}

/** The version of a podman-compose in the user's ~/.local/bin or ~/bin (pip --user); null when none answers. */
async function userPodmanCompose(facts: Facts): Promise<string | null> {
  for (const p of await facts.probes.userComposeProviders(facts.targetUser)) {
    if (p.name !== "podman-compose" || p.result.exitCode !== 0) continue;
    const v = /podman-composer? version:?\s*(\S+)/.exec(p.result.stdout)?.[1];
    if (v) return v;
  }
  return null;
}

/** The most processes listeningSockets looks through for the owner of a socket. */
export const MAX_PROCESSES = 2000;

/**
 * Listening tcp and bound udp sockets from /proc/net (the host's under --root when mounted);
 * undefined when none of the four tables reads. As root on a live host, each socket's process
 * is found by its inode among /proc/<pid>/fd links (the first MAX_PROCESSES; errors skipped).
 */
export async function listeningSockets(host: Host): Promise<Listener[] | undefined> {
  const found: (Listener & { inode: number })[] = [];
  let read = false;
  for (const [file, proto] of [
    ["tcp", "tcp"],
    ["tcp6", "tcp"],
    ["udp", "udp"],
    ["udp6", "udp"],
  ] as const) {
    const text = await host.readFile(`/proc/net/${file}`).catch(() => null);
    if (text === null) continue;
    read = true;
    for (const l of parseProcNet(text, proto)) found.push(l);
  }
  if (!read) return undefined;
  const byInode = new Map(found.filter((l) => l.inode > 0).map((l) => [`socket:[${l.inode}]`, l]));
  if (host.isLive && host.currentUser().uid === 0 && byInode.size > 0) {
    const pids = ((await host.listDir("/proc")) ?? []).filter((n) => /^\d+$/.test(n));
    let left = byInode.size;
    for (const pid of pids.slice(0, MAX_PROCESSES)) {
      if (left === 0) break;
      let comm: string | null | undefined;
      for (const fd of (await host.listDir(`/proc/${pid}/fd`).catch(() => null)) ?? []) {
        const link = (await host.readLink(`/proc/${pid}/fd/${fd}`)) ?? "";
        const l = byInode.get(link);
        if (!l || l.process) continue;
        comm ??= (await host.readFile(`/proc/${pid}/comm`).catch(() => null))?.trim();
        l.process = `${comm || "?"} (pid ${pid})`;
        left--;
      }
    }
  }
  return found.map(({ inode: _, ...l }) => l);
}

/** The target user's Podman (root's, rootful): podman run as that user when podlift is not them. */
function asTarget(host: Host, facts: Facts): string | undefined {
  const user = facts.rootful ? undefined : facts.targetUser.name;
  return user === host.currentUser().name ? undefined : user;
}

/** Podman's network names for the target user; undefined when podman does not answer. */
export async function podmanNetworks(host: Host, facts: Facts): Promise<Set<string> | undefined> {
  const r = await host.run(["podman", "network", "ls", "--format", "{{.Name}}"], {
    user: asTarget(host, facts),
    timeoutMs: 10000,
  });
  return r.exitCode === 0 ? new Set(r.stdout.split("\n").filter(Boolean)) : undefined;
}

/** The most images imageUsers looks up, and how long it may take in all. */
export const MAX_IMAGES = 200;
export const IMAGE_LOOKUP_MS = 30000;

/**
 * The USER each of the project's images runs as (see HostContext.imageUsers); undefined rootful.
 * Podman's image first (what will run), else Docker's (what will be moved there).
 */
export async function imageUsers(
  host: Host,
  facts: Facts,
  p: Loaded,
): Promise<Map<string, string> | undefined> {
  if (facts.rootful) return undefined;
  const services = p.data.services;
  const names = new Set<string>();
  if (services && typeof services === "object" && !Array.isArray(services))
    for (const svc of Object.values(services as Record<string, unknown>)) {
      const image = svc && typeof svc === "object" ? (svc as { image?: unknown }).image : undefined;
      // A reference, nothing else: it goes into an argv and a URL path.
      if (typeof image === "string" && /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(image)) names.add(image);
    }
  const out = new Map<string, string>();
  if (names.size === 0) return out;
  const { answeringDocker } = await import("../migrate/docker.js");
  let docker: DockerClient | null | undefined;
  // A podman or a Docker engine that hangs costs one timeout, not one per image.
  const deadline = Date.now() + IMAGE_LOOKUP_MS;
  for (const image of [...names].slice(0, MAX_IMAGES)) {
    if (Date.now() > deadline) break;
    const r = await host.run(["podman", "image", "inspect", "--format", "{{.Config.User}}", "--", image], {
      user: asTarget(host, facts),
      timeoutMs: 10000,
    });
    if (r.exitCode === 0) {
      out.set(image, r.stdout.trim());
      continue;
    }
    if (r.timedOut) break;
    docker ??= await answeringDocker(host);
    const user = await docker
      ?.call<{ Config?: { User?: string } | null }>("GET", `/images/${image}/json`, undefined, 10000)
      .then(
        (i) => i.Config?.User ?? "",
        () => undefined,
      );
    if (user !== undefined) out.set(image, user);
  }
  return out;
}

/** Docker's and Podman's volume names, when the Docker engine lists them; null otherwise. */
async function knownVolumes(docker: DockerClient, host: WritableHost, facts: Facts) {
  const dockerNames = await docker.volumes().then(
    (v) => new Set(v.map((x) => x.Name)),
    () => null,
  );
  if (dockerNames === null) return null;
  const user = facts.rootful ? undefined : facts.targetUser.name;
  const r = await host.run(["podman", "volume", "ls", "--format", "{{.Name}}"], {
    user: user === host.currentUser().name ? undefined : user,
    timeoutMs: 10000,
  });
  return {
    docker: dockerNames,
    podman: new Set(r.exitCode === 0 ? r.stdout.split("\n").filter(Boolean) : []),
  };
}

export async function groupsOf(host: Host, user: UserInfo): Promise<number[]> {
  const r = await host.run(["id", "-G", user.name], { timeoutMs: 3000 });
  return r.exitCode === 0 ? r.stdout.trim().split(/\s+/).map(Number) : [user.gid];
}

/** The project's bind sources as stat sees them on this machine (null: missing). */
export async function bindStats(p: Loaded, user: UserInfo): Promise<Map<string, BindStat | null>> {
  const out = new Map<string, BindStat | null>();
  for (const { full } of bindSources(p.data, p.file, user.home)) {
    if (out.has(full)) continue;
    const s = await stat(full).catch(() => null);
    out.set(full, s && { uid: s.uid, gid: s.gid, mode: s.mode, isDirectory: s.isDirectory() });
  }
  return out;
}
