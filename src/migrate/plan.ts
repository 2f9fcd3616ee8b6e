// What a migration would do, before anything moves: volumes, sizes, owners, containers using
// them, conflicts, and (for a rootless target) ids the user's subordinate ranges cannot map.
import { pipeline } from "node:stream/promises";
import { loadValidProject } from "../compose/project.js";
import { UsageError } from "../errors.js";
import type { Host, UserInfo } from "../host/types.js";
import { ownsRange, parseSubid } from "../subid.js";
import type { DockerClient, DockerVolume } from "./docker.js";
import type { PodmanTarget } from "./podman.js";
import { openSource, type Via } from "./source.js";
import { ManifestBuilder } from "./tar-manifest.js";
import { SOURCE_LABEL, unsupportedReason } from "./volume.js";

export interface PlanItem {
  source: DockerVolume;
  target: string;
  sizeBytes: number | null;
  runningContainers: string[];
  conflict: "none" | "exists" | "already-migrated";
  /** Why this volume cannot move as things are; null when it can. */
  problem: string | null;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The Docker volume names a compose project uses (`name:`, external names, or <project>_<key>),
 * read by the one project reader: the same project name, interpolation and merge as compose check.
 */
export async function composeVolumes(file: string | string[]): Promise<string[]> {
  const project = await loadValidProject(file, process.env);
  const volumes = project.data.volumes;
  const declared = (
    volumes && typeof volumes === "object" && !Array.isArray(volumes) ? volumes : {}
  ) as Record<string, { name?: unknown; external?: unknown } | null>;
  return Object.entries(declared).map(([key, spec]) => {
    if (typeof spec?.name === "string" && spec.name) return spec.name;
    if (spec?.external) {
      const named = (spec.external as { name?: unknown }).name;
      return typeof named === "string" && named ? named : key;
    }
    return `${project.project}_${key}`;
  });
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
  const sizes = options.sizes
    ? await docker.volumeSizes().catch(() => new Map<string, number>())
    : new Map<string, number>();
  const limits = podman.user ? await idLimits(host, podman.user) : null;
  const items: PlanItem[] = [];
  for (const source of chosen.sort((a, b) => a.Name.localeCompare(b.Name))) {
    const target = options.map.get(source.Name) ?? source.Name;
    const running = (await docker.containersUsing(source.Name)).filter((c) => c.State === "running");
    let conflict: PlanItem["conflict"] = "none";
    if (await podman.exists(target)) {
      conflict =
        (await podman.labels(target))[SOURCE_LABEL] === `docker/${source.Name}`
          ? "already-migrated"
          : "exists";
    }
    let problem = unsupportedReason(source);
    if (!problem && limits && conflict !== "already-migrated")
      problem = await idProblem(docker, podman, source, limits, podman.user as UserInfo, options.via);
    const size = sizes.get(source.Name);
    items.push({
      source,
      target,
      sizeBytes: size === undefined || size < 0 ? null : size,
      runningContainers: running.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12)),
      conflict,
      problem,
    });
  }
  return items;
}

/** The highest container uid and gid a rootless user can map: its own id plus its ranges. */
export async function idLimits(host: Host, user: UserInfo): Promise<{ uid: number; gid: number }> {
  const count = async (file: string) =>
    parseSubid((await host.readFile(file)) ?? "")
      .ranges.filter((r) => ownsRange(r, user))
      .reduce((n, r) => n + r.count, 0);
  return { uid: await count("/etc/subuid"), gid: await count("/etc/subgid") };
}

/** Reads the volume's tar headers (not hashing) and compares the highest ids with the user's ranges. */
async function idProblem(
  docker: DockerClient,
  podman: PodmanTarget,
  volume: DockerVolume,
  limits: { uid: number; gid: number },
  user: UserInfo,
  via: Via,
): Promise<string | null> {
  const source = await openSource(docker, podman.host, volume, via);
  try {
    const scan = new ManifestBuilder(false);
    await pipeline(source.stream, scan);
    const incomplete = await source.finish();
    if (incomplete) throw new Error(incomplete);
    const { maxUid, maxGid } = scan.manifest;
    if (maxUid <= limits.uid && maxGid <= limits.gid) return null;
    return (
      `files owned by uid ${maxUid}/gid ${maxGid} cannot be mapped for ${user.name}, whose ranges cover ids 0-${limits.uid} (uid) and 0-${limits.gid} (gid): ` +
      `give ${user.name} more subordinate ids (podlift fix --only subid-ranges, or usermod --add-subuids/--add-subgids), then podman system migrate`
    );
  } finally {
    await source.close();
  }
}
