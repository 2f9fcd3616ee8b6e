// What a migration would do, before anything moves: volumes, sizes, owners, containers using
// them, conflicts, and (for a rootless target) ids the user's subordinate ranges cannot map.
import path from "node:path";
import { UsageError } from "../errors.js";
import type { Host, UserInfo } from "../host/types.js";
import { ownsRange, parseSubid } from "../parse/subid.js";
import type { DockerClient, DockerVolume } from "./docker.js";
import { freeSpace, type PodmanTarget, type PodmanVolume } from "./podman.js";
import { listed, MAX_PATH_BYTES, type Preflight, preflight, type Via } from "./source.js";
import { DIGEST_LABEL, SOURCE_LABEL, unsupportedReason } from "./volume.js";
import { formatBytes, pool } from "./volumes.js";

export interface PlanItem {
  source: DockerVolume;
  target: string;
  sizeBytes: number | null;
  runningContainers: string[];
  conflict: "none" | "exists" | "already-migrated";
  /** Why this volume cannot move as things are; null when it can. */
  problem: string | null;
  /** What the walk of the source found; null when it could not walk it. */
  preflight: Preflight | null;
  /** The Podman volume already named like the target, as listed when planning. */
  existing: PodmanVolume | null;
  /** Where the target keeps its volumes, when known. */
  volumePath: string | null;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The Docker volume names a compose project uses (`name:`, external names, or <project>_<key>),
 * read by the one project reader: the same project name, interpolation and merge as compose check.
 */
export async function composeVolumes(file: string | string[]): Promise<string[]> {
  // Loaded only for --compose: the project reader (YAML, schema) costs ~0.1 s to load.
  const { loadValidProject } = await import("../compose/project.js");
  const [project, { projectVolumes }] = await Promise.all([
    loadValidProject(file, process.env),
    import("../compose/resources.js"),
  ]);
  return projectVolumes(project).map((v) => v.name);
}

export function parseMap(pairs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of pairs) {
    const m = /^([^=]+)=([^=]+)$/.exec(pair);
    if (!m || !NAME.test(m[2] as string))
      throw new UsageError(`--map wants source=target with a valid volume name, not "${pair}"`);
    map.set(m[1] as string, m[2] as string);
  }
  return map;
}

export async function planMigration(
  host: Host,
  docker: DockerClient,
  podman: PodmanTarget,
  options: { names: string[]; map: Map<string, string>; sizes: boolean; via: Via },
): Promise<PlanItem[]> {
  const all = await docker.volumes();
  for (const name of options.names) {
    if (!all.some((v) => v.Name === name)) {
      const hint = NAME.test(name) ? "" : " (Docker volume names are letters, digits, _ . - only)";
      throw new UsageError(`no Docker volume named ${JSON.stringify(name)}${hint}`);
    }
  }
  const chosen = options.names.length > 0 ? all.filter((v) => options.names.includes(v.Name)) : all;
  // Two copies into one volume would race for its staging volume: refused before anything starts.
  const byTarget = new Map<string, string>();
  for (const v of chosen) {
    const target = options.map.get(v.Name) ?? v.Name;
    const other = byTarget.get(target);
    if (other !== undefined)
      throw new UsageError(
        `volumes ${JSON.stringify(other)} and ${JSON.stringify(v.Name)} would both become the Podman volume ${JSON.stringify(target)}: map them to different names`,
      );
    byTarget.set(target, v.Name);
  }
  const sizes = options.sizes
    ? await docker.volumeSizes().catch(() => new Map<string, number>())
    : new Map<string, number>();
  const limits = podman.user ? await idLimits(host, podman.user) : null;
  const existing = new Map((await podman.list()).map((v) => [v.Name, v]));
  // `podman info` costs over a second (it asks dpkg for versions): a volume's folder says it too,
  // and with no volume yet, the default store (each copy still checks the space where its staging
  // volume really is, and falls back to asking Podman for the folder).
  const sample = [...existing.values()].find((v) => v.Driver === "local" && v.Mountpoint.endsWith("/_data"));
  const volumePath = sample
    ? path.dirname(path.dirname(sample.Mountpoint))
    : ((await defaultVolumePath(host, podman.user)) ?? (await podman.volumePath().catch(() => null)));
  const space = volumePath ? await freeSpace(host, volumePath) : null;
  let needed = 0;
  const items: PlanItem[] = [];
  // The walks (a `find` each) and the engine's answers come a few at a time; the space adds up in order.
  const sorted = chosen.sort((a, b) => a.Name.localeCompare(b.Name));
  const walked: {
    running: Awaited<ReturnType<DockerClient["containersUsing"]>>;
    problem: string | null;
    pre: Preflight | null;
  }[] = [];
  await pool(sorted.length, 4, async (i) => {
    const source = sorted[i] as DockerVolume;
    const running = (await docker.containersUsing(source.Name)).filter((c) => c.State === "running");
    let problem = unsupportedReason(source);
    let pre: Preflight | null = null;
    if (!problem) {
      try {
        pre = await preflight(docker, podman.host, source, options.via, limits);
      } catch (error) {
        problem = `cannot walk the volume before copying: ${(error as Error).message}`;
      }
    }
    walked[i] = { running, problem, pre };
  });
  for (const [index, source] of sorted.entries()) {
    const target = options.map.get(source.Name) ?? source.Name;
    const { running, pre } = walked[index] as (typeof walked)[number];
    let { problem } = walked[index] as (typeof walked)[number];
    let conflict: PlanItem["conflict"] = "none";
    const there = existing.get(target) ?? null;
    if (there) {
      const labels = there.Labels ?? {};
      conflict =
        labels[SOURCE_LABEL] === `docker/${source.Name}` &&
        pre !== null &&
        labels[DIGEST_LABEL] === pre.digest
          ? "already-migrated"
          : "exists";
    }
    if (!problem && pre && conflict !== "already-migrated") {
      problem = preflightProblem(pre, limits, podman.user);
      if (!problem && space) {
        needed += pre.bytes;
        if (needed > space.free)
          problem = `needs ${formatBytes(needed)}${needed > pre.bytes ? " (with the volumes before it)" : ""} but only ${formatBytes(space.free)} is free under ${space.path}: free some space or migrate fewer volumes at once`;
      }
    }
    const size = sizes.get(source.Name);
    items.push({
      source,
      target,
      sizeBytes: size === undefined || size < 0 ? (pre?.bytes ?? null) : size,
      runningContainers: running.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12)),
      conflict,
      problem,
      preflight: pre,
      existing: there,
      volumePath,
    });
  }
  return items;
}

/**
 * Where Podman keeps volumes unless storage.conf says otherwise (containers-storage.conf(5):
 * graphroot /var/lib/containers/storage, rootless ~/.local/share/containers/storage), when that
 * store exists; null otherwise.
 */
export async function defaultVolumePath(host: Host, user: UserInfo | null): Promise<string | null> {
  const store = user ? `${user.home}/.local/share/containers/storage` : "/var/lib/containers/storage";
  return (await host.stat(store))?.type === "dir" ? `${store}/volumes` : null;
}

/** The highest container uid and gid a rootless user can map: its own id plus its ranges. */
export async function idLimits(host: Host, user: UserInfo): Promise<{ uid: number; gid: number }> {
  const count = async (file: string) =>
    parseSubid((await host.readFile(file)) ?? "")
      .ranges.filter((r) => ownsRange(r, user))
      .reduce((n, r) => n + r.count, 0);
  return { uid: await count("/etc/subuid"), gid: await count("/etc/subgid") };
}

/** More subordinate ids help only near the edge of the user's ranges; far out, chown is the fix. */
const FAR = 65536;

/** Every reason found before copying why files would not arrive, each with the files (bounded) and a count. */
export function preflightProblem(
  pre: Preflight,
  limits: { uid: number; gid: number } | null,
  user: UserInfo | null,
): string | null {
  const problems: string[] = [];
  if (pre.longPaths.count)
    problems.push(
      `${pre.longPaths.count} path(s) longer than ${MAX_PATH_BYTES} bytes, which tar cannot create ("File name too long"): ${listed(pre.longPaths)}; shorten them (rename a folder) in Docker first`,
    );
  if (limits && user) {
    if (pre.highIds.count) {
      const maxUid = pre.maxUid;
      const maxGid = pre.maxGid;
      const far = maxUid > limits.uid + FAR || maxGid > limits.gid + FAR;
      problems.push(
        `files owned by uid ${maxUid}/gid ${maxGid} cannot be mapped for ${user.name}, whose ranges cover ids 0-${limits.uid} (uid) and 0-${limits.gid} (gid): ${pre.highIds.count} file(s): ${listed(pre.highIds)}; ` +
          (far
            ? `these ids are far outside any range: chown them in Docker to ids within 0-${Math.min(limits.uid, limits.gid)} (e.g. chown -h 1000:1000 FILE), not more subordinate ids`
            : `give ${user.name} more subordinate ids (podlift fix --only subid-ranges, or usermod --add-subuids/--add-subgids), then podman system migrate`),
      );
    }
    if (pre.devices.count)
      problems.push(
        `${pre.devices.count} device node(s), which rootless ${user.name} cannot create (mknod needs root): ${listed(pre.devices)}; remove them in Docker or migrate rootful`,
      );
    if (pre.trusted.count)
      problems.push(
        `${pre.trusted.count} file(s) with trusted.* extended attributes, which rootless ${user.name} cannot set: ${listed(pre.trusted)}; remove them (setfattr -x) or migrate rootful`,
      );
    if (pre.aclIds.count)
      problems.push(
        `${pre.aclIds.count} file(s) with ACL entries naming ids ${user.name} cannot map: ${listed(pre.aclIds)}; ` +
          (pre.highestAclId > Math.max(limits.uid, limits.gid) + FAR
            ? "those ids are far outside any range: change the ACLs (setfacl -x) in Docker first"
            : `change the ACLs (setfacl -x) or give ${user.name} more subordinate ids`),
      );
  }
  return problems.length ? problems.join("; ") : null;
}
