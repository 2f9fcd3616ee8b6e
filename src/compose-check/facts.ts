// The host facts compose rules read, gathered once per run through the host (and, for the parts
// that need it, the Docker engine): the rules themselves do no I/O.
import { stat } from "node:fs/promises";
import { bindSources } from "../../compose-rules/bind-unreadable.js";
import { parseProcNet } from "../../compose-rules/port-in-use.js";
import type { Loaded } from "../compose/project.js";
import type { Facts } from "../engine/types.js";
import type { Host, UserInfo, WritableHost } from "../host/types.js";
import type { DockerClient } from "../migrate/docker.js";
import { knownHomes } from "../selinux-paths.js";
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
  // The doctor's own probes (src/engine/host-probes.ts), read once per run.
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
    hostRestarts: {
      systemd: (await host.stat("/run/systemd/system")) !== null,
      lingers: facts.rootful
        ? null
        : (await host.stat(`/var/lib/systemd/linger/${facts.targetUser.name}`)) !== null,
    },
  };
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
