// Images, Docker to Podman: each image streams from the engine (GET /images/get) straight into
// `podman load`'s stdin, one image under one name per stream (by id when it has no name load
// keeps as is), so nothing can be mis-tagged (a multi-image load mixes tags up:
// containers/podman#2821, #2822). podlift then tags the image with its other Docker names and,
// from one listing at the end, checks every name points at Docker's image id.
// https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Image/operation/ImageGetAll
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { UsageError } from "../errors.js";
import { makeScratchDir, removeScratchDir } from "../host/scratch.js";
import { safeLine } from "../text/safe-text.js";
import { type DockerClient, DockerError, type DockerImage } from "./docker.js";
import {
  conflictDecision,
  fullId,
  type ImageAction,
  imageAction,
  isLocalImage,
  loadName,
  type OnConflict,
  type PodmanImages,
  parsePodmanImages,
  splitTag,
  type TargetName,
  targetNames,
  validReference,
} from "./image-names.js";
import {
  clientFor,
  type ExportClients,
  ExportFailed,
  findExportClients,
  pipeIntoLoad,
} from "./image-pipe.js";
import type { PodmanTarget } from "./podman.js";
import { formatBytes } from "./volumes.js";

export { findExportClients } from "./image-pipe.js";

export interface ImagePlanItem {
  id: string;
  /** The first Docker name, or the short id of an untagged image. */
  source: string;
  names: TargetName[];
  sizeBytes: number;
  /** Built or tagged here (no registry digest for some name). */
  local: boolean;
  action: ImageAction;
}

export interface NotChosen {
  source: string;
  reason: string;
}

export interface ImagePlan {
  items: ImagePlanItem[];
  notChosen: NotChosen[];
  podman: PodmanImages;
  /** Where the target stores images, as the listing's debug log named it (null: it did not). */
  graphRoot: string | null;
}

export interface ImageResult {
  source: string;
  id: string;
  names: TargetName[];
  status: "migrated" | "already-migrated" | "skipped" | "failed";
  bytes: number;
  durationMs: number;
  /** The id in Podman equals Docker's and every name points at it. */
  verified: boolean;
  error?: string;
  notes: string[];
}

/** The image references a compose project uses: `image:`, or the name compose gives a build. */
export async function composeImageRefs(file: string): Promise<{ refs: string[]; built: string[][] }> {
  // Loaded only for --compose, as for volumes: the project reader (YAML, schema) costs ~0.1 s.
  const { loadValidProject } = await import("../compose/project.js");
  const project = await loadValidProject(file, process.env);
  const services = (project.data.services ?? {}) as Record<string, Record<string, unknown> | null>;
  const refs: string[] = [];
  const built: string[][] = [];
  for (const [name, svc] of Object.entries(services)) {
    if (typeof svc?.image === "string") refs.push(svc.image);
    // Compose v2 names a built image <project>-<service>, v1 <project>_<service>.
    else if (svc?.build !== undefined)
      built.push([`${project.project}-${name}`, `${project.project}_${name}`]);
  }
  return { refs, built };
}

export async function podmanImages(podman: PodmanTarget): Promise<PodmanImages> {
  return (await listPodman(podman)).images;
}

/**
 * `podman images`, and the graph root from its debug log ("Using graph root …", logged by
 * libpod's runtime setup): the space check needs no `podman info`, which gathers host facts
 * (conmon, runtime and package versions: 0.3 s idle, 1.5 s on a busy 2-core machine).
 */
export async function listPodman(
  podman: PodmanTarget,
): Promise<{ images: PodmanImages; graphRoot: string | null }> {
  const r = await podman.podman(["--log-level=debug", "images", "--all", "--format", "json"]);
  const said = r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.includes("level=debug"));
  if (r.exitCode !== 0) throw new Error(`podman images: ${said.at(-1) ?? `exit ${r.exitCode}`}`);
  const root = /level=debug msg="Using graph root (\/[^"]*)"/.exec(r.stderr);
  return { images: parsePodmanImages(r.stdout), graphRoot: root ? (root[1] as string) : null };
}

export async function planImages(
  docker: DockerClient,
  podman: PodmanTarget,
  options: {
    names: string[];
    compose?: string;
    all: boolean;
    /** Podman's listing, started already (it takes a podman start: 0.1-0.4 s). */
    listing?: ReturnType<typeof listPodman>;
  },
): Promise<ImagePlan> {
  // Asked first: Podman's listing runs while the engine answers.
  const listing = options.listing ?? listPodman(podman);
  listing.catch(() => undefined); // awaited below, unless the choice fails first
  const images = await docker.images();
  const byId = new Map(images.map((i) => [i.Id, i]));
  // A name exactly as the listing has it is that image: no request per name. Anything else
  // (a short id, a digest, docker.io/ spelled out) is Docker's to resolve.
  const byTag = new Map(images.flatMap((i) => (i.RepoTags ?? []).map((t) => [t, i.Id] as const)));
  const idOf = async (ref: string) =>
    byTag.get(ref) ??
    // No tag and no digest reads :latest, as Docker reads it.
    (ref.includes("@") || splitTag(ref).tag !== "latest"
      ? undefined
      : byTag.get(`${splitTag(ref).repo}:latest`)) ??
    (await docker.imageId(ref));
  const chosen = new Map<string, DockerImage>();
  const notChosen: NotChosen[] = [];
  for (const name of options.names) {
    if (!validReference(name))
      throw new UsageError(
        `${JSON.stringify(name)} is not an image reference (letters, digits and . _ - : / @ + only)`,
      );
    const id = await idOf(name);
    const image = id === null ? undefined : byId.get(id);
    if (!image) throw new UsageError(`no Docker image named ${JSON.stringify(name)}`);
    chosen.set(image.Id, image);
  }
  const pick = (image: DockerImage, source: string) => {
    if (options.all || isLocalImage(image)) chosen.set(image.Id, image);
    else
      notChosen.push({
        source,
        reason: "pulled from a registry: Podman can pull it too (--all moves it anyway)",
      });
  };
  if (options.compose) {
    const { refs, built } = await composeImageRefs(options.compose);
    for (const ref of refs) {
      const id = validReference(ref) ? await idOf(ref) : null;
      const image = id === null ? undefined : byId.get(id);
      if (image) pick(image, ref);
      else notChosen.push({ source: ref, reason: "not in Docker (Podman pulls it when the project starts)" });
    }
    for (const candidates of built) {
      let found = false;
      for (const ref of candidates) {
        const id = await idOf(ref);
        const image = id === null ? undefined : byId.get(id);
        if (image) {
          chosen.set(image.Id, image); // built for this project: always local
          found = true;
          break;
        }
      }
      if (!found)
        notChosen.push({
          source: candidates[0] as string,
          reason: "built by compose, but not built in Docker yet",
        });
    }
  }
  if (options.names.length === 0 && !options.compose) {
    for (const image of images) {
      const tags = (image.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
      // Untagged images are build leftovers; named by id they still move.
      if (tags.length > 0) pick(image, tags[0] as string);
    }
  }
  const { images: podmanNow, graphRoot } = await listing;
  const items = [...chosen.values()]
    .map((image): ImagePlanItem => {
      const names = targetNames(image);
      return {
        id: image.Id,
        source: image.RepoTags?.find((t) => t !== "<none>:<none>") ?? image.Id.slice(7, 19),
        names,
        sizeBytes: image.Size,
        local: isLocalImage(image),
        action: imageAction(image.Id, names, podmanNow),
      };
    })
    .sort((a, b) => a.source.localeCompare(b.source));
  return { items, notChosen, podman: podmanNow, graphRoot };
}

/**
 * Free space where a load writes: the graph root, and the folder `podman load` first copies its
 * stdin to (TMPDIR, else /var/tmp). Loads in flight hold a reservation, so parallel loads
 * cannot each count the same free bytes.
 */
export class SpaceGuard {
  private reserved = new Map<string, number>();
  constructor(
    private readonly podman: PodmanTarget,
    readonly graphRoot: string,
    readonly tmpDir = "/var/tmp",
  ) {}

  /** graphRoot: known already (from the plan's listing), else `podman info` is asked. */
  static async open(podman: PodmanTarget, graphRoot?: Promise<string | null>): Promise<SpaceGuard> {
    // podman load copies its stdin to TMPDIR, else /var/tmp (containers.conf's image_copy_tmp_dir
    // aside), and podman inherits podlift's environment.
    const tmpDir = podman.host.env("TMPDIR") || "/var/tmp";
    const known = await graphRoot?.catch(() => null);
    if (known) return new SpaceGuard(podman, known, tmpDir);
    const r = await podman.podman(["info", "--format", "{{.Store.GraphRoot}}"]);
    if (r.exitCode !== 0 || r.stdout.trim() === "")
      throw new Error(
        `podman info: ${(r.stderr || r.stdout).trim().split("\n").at(-1) ?? `exit ${r.exitCode}`}`,
      );
    return new SpaceGuard(podman, r.stdout.trim(), tmpDir);
  }

  /** Filesystem id and free bytes of each path (`stat -f`: one command, no shell). */
  async free(): Promise<{ path: string; fs: string; free: number }[]> {
    const paths = [this.graphRoot, this.tmpDir];
    const r = await this.podman.host.run(["stat", "-f", "-c", "%i %a %S", ...paths], { timeoutMs: 10000 });
    if (r.exitCode !== 0) throw new Error(`stat -f ${paths.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout
      .trim()
      .split("\n")
      .map((line, i) => {
        const [fs, avail, block] = line.split(" ");
        return { path: paths[i] as string, fs: fs as string, free: Number(avail) * Number(block) };
      });
  }

  /** What a load of `size` bytes would need per filesystem, and why not if it does not fit. */
  async reserve(size: number, what: string): Promise<() => void> {
    const places = await this.free();
    const need = new Map<string, number>();
    for (const p of places) need.set(p.fs, (need.get(p.fs) ?? 0) + size);
    for (const p of places) {
      const wanted = (need.get(p.fs) ?? 0) + (this.reserved.get(p.fs) ?? 0);
      if (wanted > p.free) {
        const spool = places.length > 1 && places[0]?.fs === places[1]?.fs;
        throw new Error(
          `not enough disk space for ${what}: it needs ${formatBytes(wanted)} on the filesystem of ${p.path}` +
            `${spool ? ` (the image under ${this.graphRoot}, and as much again in ${this.tmpDir}, where podman load first copies its input)` : ""}` +
            `, which has ${formatBytes(p.free)} free. Free some space, or move fewer images at once`,
        );
      }
    }
    for (const [fs, n] of need) this.reserved.set(fs, (this.reserved.get(fs) ?? 0) + n);
    return () => {
      for (const [fs, n] of need) this.reserved.set(fs, (this.reserved.get(fs) ?? 0) - n);
    };
  }
}

export interface ImageOptions {
  onConflict: OnConflict;
  /** Give up when no byte moved for this long. */
  stallMs: number;
  signal?: AbortSignal;
  onBytes?: (delta: number) => void;
  /** The clients that can fetch an export fd to fd into podman load; none: through Node. */
  clients?: Promise<ExportClients>;
}

export async function migrateImage(
  docker: DockerClient,
  podman: PodmanTarget,
  /** A promise: `podman info` behind it takes ~0.4 s, which Docker's export preparation hides. */
  space: Promise<SpaceGuard>,
  item: ImagePlanItem,
  podmanNow: PodmanImages,
  options: ImageOptions,
): Promise<ImageResult> {
  const started = performance.now();
  const result: ImageResult = {
    source: item.source,
    id: item.id,
    names: item.names,
    status: "failed",
    bytes: 0,
    durationMs: 0,
    verified: false,
    notes: [...new Set(item.names.flatMap((n) => (n.note ? [n.note] : [])))],
  };
  const done = (patch: Partial<ImageResult>) =>
    Object.assign(result, patch, { durationMs: Math.round(performance.now() - started) });
  let loaded = false;
  try {
    let toTag = item.names;
    let action = item.action;
    if (action.kind === "conflict") {
      const decision = conflictDecision(action.conflicts, options.onConflict, podmanNow.ids.has(item.id));
      if (!decision.proceed)
        return decision.status === "skipped"
          ? done({ status: "skipped", notes: [...result.notes, decision.message] })
          : done({ error: decision.message });
      result.notes.push(decision.message);
      action = podmanNow.ids.has(item.id) ? { kind: "tag", missing: item.names } : { kind: "load" };
    }
    if (action.kind === "already-migrated")
      return done({
        status: "already-migrated",
        verified: true,
        notes: ["in Podman with the same id under every name"],
      });
    if (action.kind === "tag") {
      toTag = action.missing;
      result.notes.push("the image was in Podman already; podlift added the missing names");
    } else {
      let release = () => {};
      const named = loadName(item.names);
      try {
        // The space check runs while Docker prepares the export (its first byte takes a second or more).
        const { bytes, loaded: what } = await loadImage(
          docker,
          podman,
          named?.docker ?? item.id,
          item.sizeBytes,
          options,
          async () => {
            const guard = await space;
            release = await guard.reserve(item.sizeBytes, item.source);
            return guard.tmpDir;
          },
        );
        loaded = true;
        result.bytes = bytes;
        // By id, load reports the id; by name, the name, and the id is compared in verifyResults.
        const expected = named ? named.podman : item.id;
        if (what !== expected) throw new Error(`podman load reported ${what} where ${expected} was expected`);
        if (named) toTag = item.names.filter((n) => n !== named);
      } finally {
        release();
      }
    }
    if (toTag.length > 0) {
      const r = await podman.podman(["tag", item.id, ...toTag.map((n) => n.podman)]);
      if (r.exitCode !== 0)
        throw new Error(
          `podman tag: ${(r.stderr || r.stdout).trim().split("\n").at(-1) ?? `exit ${r.exitCode}`}`,
        );
    } else if (item.names.length === 0) {
      result.notes.push("untagged in Docker: Podman holds it by id only");
    }
    return done({ status: "migrated" });
  } catch (error) {
    // A load that did not check out is not left behind under no name.
    const stored = loaded || (error instanceof ExportFailed && error.loadOutput !== null);
    if (stored && !podmanNow.ids.has(item.id))
      await podman.podman(["rmi", "--force", item.id]).catch(() => undefined);
    return done({ error: (error as Error).message });
  }
}

/** Streams one image from the engine into `podman load`; returns bytes moved and the loaded id. */
async function loadImage(
  docker: DockerClient,
  podman: PodmanTarget,
  id: string,
  /** Docker's size of the image: which client fetches it. */
  sizeBytes: number,
  options: ImageOptions,
  /** Reserves the space; returns the folder podman load may spool its input in. */
  beforeLoad: () => Promise<string>,
): Promise<{ bytes: number; loaded: string }> {
  let spool: Spool | null = null;
  try {
    const clients = await options.clients?.catch(() => null);
    const client = clients ? clientFor(clients, sizeBytes) : null;
    if (client === null) return await streamIntoLoad();
    if (options.signal?.aborted) throw new Error("interrupted");
    spool = await makeSpool(podman, await beforeLoad());
    // As the target user and with its environment, but not inside `podman unshare`.
    const spec = await podman.spec(["podman", "load"]);
    const { bytes, out } = await pipeIntoLoad({
      client,
      docker,
      reference: id,
      load: { ...spec, argv: ["podman", "load"], env: { ...spec.env, TMPDIR: spool.path } },
      spool: spool.path,
      stallMs: options.stallMs,
      signal: options.signal,
      onBytes: options.onBytes,
    });
    return { bytes, loaded: loadedName(out) };
  } finally {
    if (spool !== null) await spool.remove();
  }
  async function streamIntoLoad(): Promise<{ bytes: number; loaded: string }> {
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    options.signal?.addEventListener("abort", onAbort);
    // Asked first: Docker prepares the export (a second or more) while the space is checked.
    const exported = docker.exportImage(id, abort.signal, options.stallMs);
    exported.catch(() => undefined); // awaited below, or abandoned when the check refuses
    let res: IncomingMessage;
    try {
      const spoolParent = await beforeLoad();
      res = await exported;
      if ((res.statusCode ?? 500) >= 300) {
        res.resume();
        throw new DockerError(`Docker refused to export ${id}: HTTP ${res.statusCode}`, res.statusCode);
      }
      // podman load copies stdin to a file in TMPDIR first and leaves it behind when killed: a
      // folder of podlift's own, owned by the target user, removed whatever happens.
      spool = await makeSpool(podman, spoolParent);
    } catch (error) {
      abort.abort();
      options.signal?.removeEventListener("abort", onAbort);
      throw options.signal?.aborted ? new Error("interrupted") : error;
    }
    const load = await podman.spawnPodman(["load"], abort.signal, { TMPDIR: spool.path });
    let out = "";
    load.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
    });
    let bytes = 0;
    let stalled: string | null = null;
    // Counted where the bytes pass anyway (no extra stream stage): a stage costs CPU per chunk,
    // which on a busy machine is throughput. The stall clock restarts with every chunk.
    const timer = setTimeout(() => {
      // Docker sends nothing when podman load stops reading too: tell the two apart by who waits.
      const loadBehind = load.stdin.writableLength >= load.stdin.writableHighWaterMark;
      stalled = loadBehind
        ? `podman load read nothing for ${options.stallMs / 1000} s`
        : `the Docker engine sent nothing for ${options.stallMs / 1000} s (after ${formatBytes(bytes)})`;
      res.destroy(new Error(stalled));
    }, options.stallMs);
    res.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      options.onBytes?.(chunk.length);
      timer.refresh();
    });
    try {
      await pipeline(res, load.stdin);
      if (!res.complete) throw new Error("the Docker engine ended the stream early");
    } catch (error) {
      load.kill();
      const exit = await load.result;
      const said = exit.stderr.trim().split("\n").at(-1);
      throw new Error(
        stalled ??
          (options.signal?.aborted
            ? "interrupted"
            : exit.exitCode !== null && exit.exitCode !== 0 && said
              ? `podman load failed: ${said}`
              : (error as Error).message),
      );
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    const exit = await load.result;
    if (exit.exitCode !== 0)
      throw new Error(
        `podman load failed (exit ${exit.exitCode}): ${exit.stderr.trim().split("\n").at(-1) ?? ""}`,
      );
    return { bytes, loaded: loadedName(out) };
  }
}

/** The name (or id) `podman load` says it loaded. */
function loadedName(out: string): string {
  const m = /Loaded image(?:\(s\))?: (\S+)/.exec(out);
  if (!m) throw new Error(`podman load said nothing about the image it loaded: ${safeLine(out.trim())}`);
  const what = m[1] as string;
  return /^(sha256:)?[0-9a-f]{64}$/.test(what) ? fullId(what) : what;
}

interface Spool {
  path: string;
  remove(): Promise<void>;
}

/**
 * podman load copies stdin to a file in TMPDIR first and leaves it behind when killed: a folder
 * of podlift's own (mode 0700), owned by the target user, removed whatever happens (named by
 * podlift's pid, so that a later run removes what a run killed outright left). Made here,
 * not by a process: two process starts per image less. Another user's folder is removed as that
 * user, so a link planted in it cannot lead a root rm elsewhere.
 */
async function makeSpool(podman: PodmanTarget, parent: string): Promise<Spool> {
  const user = podman.user;
  const other = user !== null && user.uid !== process.getuid?.();
  const dir = await makeScratchDir(parent, `podlift-load.${process.pid}.`, other ? user : undefined).catch(
    (error: Error) => {
      throw new Error(`cannot make the spool folder: ${error.message}`);
    },
  );
  return { path: dir, remove: () => removeSpool(podman, dir, other) };
}

async function removeSpool(podman: PodmanTarget, dir: string, asUser: boolean): Promise<void> {
  if (asUser) await podman.runAs(["rm", "-rf", "--", dir]).catch(() => undefined);
  else await removeScratchDir(dir);
}

/**
 * Spool folders of podlift runs that are gone (killed by SIGTERM or SIGKILL, which leave no time
 * to remove them): the folder names the run's pid. Only the target's own (or podlift's) folders.
 */
export async function removeLeftoverSpools(podman: PodmanTarget, parent: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of (await podman.host.listDir(parent).catch(() => null)) ?? []) {
    const pid = Number(/^podlift-load\.(\d+)\.[A-Za-z0-9]+$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const dir = path.join(parent, name);
    const owner = (await podman.host.lstat(dir).catch(() => null))?.uid;
    const mine = owner === process.getuid?.();
    if (!mine && (podman.user === null || owner !== podman.user.uid)) continue;
    await removeSpool(podman, dir, !mine);
    removed.push(dir);
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** After the run: every migrated image's id under each of its names, from one listing. */
export function verifyResults(results: ImageResult[], podmanAfter: PodmanImages): void {
  for (const r of results) {
    if (r.status !== "migrated" && r.status !== "already-migrated") continue;
    const wrong = r.names.filter((n) => podmanAfter.byName.get(n.podman) !== r.id);
    if (!podmanAfter.ids.has(r.id)) {
      r.status = "failed";
      r.verified = false;
      r.error = `Podman holds no image ${r.id} after the load`;
    } else if (wrong.length > 0) {
      r.status = "failed";
      r.verified = false;
      r.error = `after the load, ${wrong.map((n) => `${n.podman} → ${podmanAfter.byName.get(n.podman) ?? "nothing"}`).join(", ")} (expected ${r.id})`;
    } else r.verified = true;
  }
}

/** Runs the plan, a few images at a time, with one progress line on stderr when asked. */
export async function runImages(
  docker: DockerClient,
  podman: PodmanTarget,
  plan: ImagePlan,
  items: ImagePlanItem[],
  options: Omit<ImageOptions, "onBytes"> & {
    parallel: number;
    progress: ((line: string) => void) | null;
    /** Opened while planning, since `podman info` takes a while. */
    space?: Promise<SpaceGuard>;
  },
): Promise<ImageResult[]> {
  const space = options.space ?? SpaceGuard.open(podman, Promise.resolve(plan.graphRoot));
  space.catch(() => undefined); // each image that needs it reports its error
  const clients = options.clients ?? findExportClients(podman.host);
  const swept = space.then((guard) => removeLeftoverSpools(podman, guard.tmpDir)).catch(() => []);
  const total = items
    .filter((i) => i.action.kind !== "already-migrated")
    .reduce((n, i) => n + i.sizeBytes, 0);
  let moved = 0;
  let finished = 0;
  // From the first byte: Docker takes a second or more to start an export, which is no rate.
  let firstByte = 0;
  let last = 0;
  const report = (force = false) => {
    if (!options.progress || (!force && Date.now() - last < 250)) return;
    last = Date.now();
    const seconds = firstByte ? (performance.now() - firstByte) / 1000 : 0;
    const rate = seconds >= 1 ? moved / seconds : 0;
    const eta = rate > 0 && total > moved ? `, ETA ${Math.round((total - moved) / rate)} s` : "";
    // After the last byte, podman load still stores the image (a while, for a large one).
    const storing = total > 0 && moved >= total && finished < items.length;
    const state = storing
      ? ", podman load is storing it"
      : rate > 0
        ? ` at ${formatBytes(rate)}/s${eta}`
        : "";
    options.progress(
      `images ${finished}/${items.length}: ${formatBytes(moved)} of ${formatBytes(total)}${state}`,
    );
  };
  const results: ImageResult[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await migrateImage(docker, podman, space, items[i] as ImagePlanItem, plan.podman, {
        ...options,
        clients,
        onBytes: (delta) => {
          firstByte ||= performance.now();
          moved += delta;
          report();
        },
      });
      finished++;
      report(true);
    }
  };
  // A load is CPU work (hashing, untar) and commits under Podman's store lock: more loads than
  // cores only contend (20 small images, 2 cores: 2 at once 2.9-3.0 s, 4 at once 3.5-4.2 s).
  const width = Math.min(options.parallel, items.length, os.availableParallelism());
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker));
  await swept;
  if (results.some((r) => r.status === "migrated" || r.status === "already-migrated"))
    verifyResults(results, await podmanImages(podman));
  return results;
}
