// One volume, Docker to Podman. On the engine's own host the source's tar writes straight into
// the target's tar (fd to fd, no byte through Node); when verifying, a second tar read of the
// source (from the page cache, mostly) builds the source's manifest beside the copy, and the copy
// is read back afterwards. Through the engine API the bytes pass through Node. Data
// lands in a staging volume "<name>.podlift-partial"; only a copy that verified, while no
// container started using the source, becomes the real volume.
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { bytesWritten, describeExit, type Exit, type Piped, spawnPiped } from "../host/piped.js";
import { keepsHoles } from "../host/sparse.js";
import { shellQuote } from "../text/safe-text.js";
import { DirectCheck } from "./direct.js";
import type { DockerClient, DockerVolume } from "./docker.js";
import { freeSpace, PodmanTarget, type PodmanVolume } from "./podman.js";
import { SortedComparison } from "./sorted-comparison.js";
import { type Found, listed, openSource, type Preflight, type Via } from "./source.js";
import { type Difference, ManifestBuilder, StreamingComparison } from "./tar-manifest.js";

type Comparison = SortedComparison | StreamingComparison;

import { formatBytes } from "./volumes.js";

export const SOURCE_LABEL = "io.podlift.migrated-from";
/** The source's metadata digest when it was migrated: "already migrated" means unchanged since. */
export const DIGEST_LABEL = "io.podlift.source-digest";

export interface VolumeOptions {
  /** "engine-api" reads through the Docker API even where the volume folder is readable. */
  via: Via;
  verify: boolean;
  onConflict: "fail" | "skip" | "replace";
  stopContainers: boolean;
  keepPartial: boolean;
  signal?: AbortSignal;
  onBytes?: (total: number) => void;
  /** What the plan's walk of the source found (digest, sockets, sparse files). */
  preflight?: Preflight | null;
  /** The Podman volume named like the target as the plan found it (null: none); undefined asks Podman. */
  existing?: PodmanVolume | null;
  /** Where the target keeps its volumes, when the plan knows. */
  volumePath?: string | null;
  /** Takes the emptied staging volume of a copy that succeeded, for one removal of all at the end. */
  removeLater?: (staging: string) => void;
  /** A copy in which no byte moves for this long is stopped (default 60 s). */
  stallMs?: number;
}

export interface VolumeResult {
  source: string;
  target: string;
  status: "migrated" | "already-migrated" | "skipped" | "failed";
  bytes: number;
  entries: number;
  durationMs: number;
  verified: boolean;
  differences: Difference[];
  /** Containers stopped for the copy and started again. */
  restarted: string[];
  error?: string;
  notes: string[];
}

export function stagingName(target: string): string {
  return `${target}.podlift-partial`;
}

const BROKEN = /Cannot write: (Broken pipe|Connection reset by peer)/;

const containerName = (c: { Names: string[]; Id: string }) =>
  c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12);

export async function migrateVolume(
  docker: DockerClient,
  podman: PodmanTarget,
  volume: DockerVolume,
  target: string,
  options: VolumeOptions,
): Promise<VolumeResult> {
  const started = performance.now();
  const result: VolumeResult = {
    source: volume.Name,
    target,
    status: "failed",
    bytes: 0,
    entries: 0,
    durationMs: 0,
    verified: false,
    differences: [],
    restarted: [],
    notes: [],
  };
  const done = (patch: Partial<VolumeResult>) =>
    Object.assign(result, patch, { durationMs: Math.round(performance.now() - started) });
  const stopped: string[] = [];
  let staging: string | null = null;
  const pre = options.preflight ?? null;
  try {
    const unsupported = unsupportedReason(volume);
    if (unsupported) return done({ error: unsupported });
    const sourceLabel = `docker/${volume.Name}`;
    const exists = options.existing !== undefined ? options.existing !== null : await podman.exists(target);
    let keepOptions: Record<string, string> = {};
    if (exists) {
      const labels = options.existing?.Labels ?? (options.existing ? {} : await podman.labels(target));
      const ours = labels[SOURCE_LABEL] === sourceLabel;
      if (ours && options.onConflict !== "replace") {
        if (pre && labels[DIGEST_LABEL] === pre.digest)
          return done({
            status: "already-migrated",
            verified: true,
            notes: ["migrated by an earlier run, and the source has not changed since"],
          });
        const why = `${target} was migrated from ${volume.Name} by an earlier run, but the source changed since (or that run recorded no digest)`;
        if (options.onConflict === "skip")
          return done({ status: "skipped", notes: [`${why}; --on-conflict replace copies it again`] });
        return done({ error: `${why}: pass --on-conflict replace to copy it again` });
      }
      if (!ours && options.onConflict === "fail")
        return done({
          error: `a Podman volume named ${target} exists; choose --on-conflict skip or replace`,
        });
      if (!ours && options.onConflict === "skip")
        return done({ status: "skipped", notes: [`a Podman volume named ${target} exists`] });
      keepOptions = options.existing ? { ...(options.existing.Options ?? {}) } : await podman.options(target);
      if (keepOptions.device || keepOptions.type)
        return done({
          error: `the Podman volume ${target} is backed by ${keepOptions.device ?? keepOptions.type}; replacing it would drop that mount: remove or rename it first`,
        });
      if (Object.keys(keepOptions).length > 0)
        result.notes.push(
          `kept the driver options of the replaced volume: ${Object.entries(keepOptions)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")}`,
        );
    }
    const running = (await docker.containersUsing(volume.Name)).filter((c) => c.State === "running");
    if (running.length > 0) {
      const names = running.map(containerName);
      if (!options.stopContainers) {
        return done({
          error: `in use by running container(s) ${names.join(", ")}: stop them, or pass --stop-containers`,
        });
      }
      for (const c of running) {
        await docker.stop(c.Id);
        stopped.push(c.Id);
      }
      result.notes.push(`stopped ${names.join(", ")} for the copy`);
    }
    if (pre?.sockets.count)
      result.notes.push(
        `${pre.sockets.count} unix socket(s) not copied (tar cannot carry sockets): ${listed(pre.sockets)}`,
      );

    staging = stagingName(target);
    // Each podman call costs ~0.1 s: try to create first, and clear a staging volume left by an
    // interrupted run only when there is one.
    await podman.create(staging).catch(async (error: Error) => {
      if (!/already exists/i.test(error.message)) throw error;
      await podman.remove(staging as string);
      await podman.create(staging as string);
    });
    const guess = options.volumePath ? `${options.volumePath}/${staging}/_data` : null;
    const stagingDir =
      guess && (await podman.host.stat(guess))?.type === "dir" ? guess : await podman.mountpoint(staging);
    // The plan checked the space; a rootless user's first volume, or another writer, may change it.
    const space = pre ? await freeSpace(podman.host, stagingDir) : null;
    if (pre && space && pre.bytes > space.free)
      return done({
        error: `needs ${formatBytes(pre.bytes)} but only ${formatBytes(space.free)} is free under ${space.path}`,
      });
    const { comparison, local, direct } = await copy(docker, podman, volume, stagingDir, options, result);
    if (pre?.sparse.count) result.notes.push(...(await holesKept(podman, stagingDir, pre.sparse, local)));
    if (comparison) {
      // The tar read of the copy (without the files compared directly) and the direct comparison
      // of those files run at once: one waits on tar and the hashing thread, the other on reads.
      // Either failing stops the other: the direct comparison has up to 10,000 files to read.
      const both = new AbortController();
      const stopBoth = () => both.abort();
      if (options.signal?.aborted) stopBoth();
      else options.signal?.addEventListener("abort", stopBoth, { once: true });
      await Promise.all([
        readBack(
          podman,
          stagingDir,
          comparison,
          { ...options, signal: both.signal },
          direct?.excludeArgs() ?? [],
        ),
        direct?.run(volume.Mountpoint, stagingDir, comparison.difference, both.signal),
      ])
        .catch((e: Error) => {
          stopBoth();
          comparison.close();
          throw e;
        })
        .finally(() => {
          options.signal?.removeEventListener("abort", stopBoth);
          direct?.close();
        });
      const differences = comparison.finish();
      if (differences.length > 0)
        return done({
          differences,
          error: `${comparison.total} difference(s) between source and copy`,
        });
      result.verified = true;
    }
    // A container that started using the volume since the copy began may have written to it.
    const late = (await docker.containersUsing(volume.Name)).filter(
      (c) => c.State === "running" && !stopped.includes(c.Id),
    );
    if (late.length > 0)
      return done({
        verified: false,
        error: `container(s) ${late.map(containerName).join(", ")} started using ${volume.Name} during the copy: the copy may be stale; stop them and run again`,
      });
    if (exists) await podman.remove(target); // replace: the old volume goes only now, after the copy verified
    const labels = {
      ...(volume.Labels ?? {}),
      [SOURCE_LABEL]: sourceLabel,
      ...(pre ? { [DIGEST_LABEL]: pre.digest } : {}),
    };
    await podman.create(target, labels, keepOptions);
    await podman.move(stagingDir, await siblingMountpoint(podman, stagingDir, staging, target));
    if (options.removeLater) options.removeLater(staging);
    else await podman.remove(staging);
    staging = null;
    return done({ status: "migrated" });
  } catch (error) {
    return done({ error: options.signal?.aborted ? "interrupted" : (error as Error).message });
  } finally {
    if (staging !== null) {
      if (options.keepPartial) result.notes.push(`the partial copy is kept as the Podman volume ${staging}`);
      else
        await podman
          .remove(staging)
          .catch((e: Error) => result.notes.push(`could not remove ${staging}: ${e.message}`));
    }
    for (const id of stopped) {
      await docker
        .start(id)
        .then(() => result.restarted.push(id.slice(0, 12)))
        .catch((e: Error) =>
          result.notes.push(`could not restart container ${id.slice(0, 12)}: ${e.message}`),
        );
    }
    result.durationMs = Math.round(performance.now() - started);
  }
}

/**
 * Whether the sparse files the walk listed are still sparse in the copy (fewer blocks than bytes),
 * each by name; the ones past the listed few are counted, not checked.
 */
async function holesKept(
  podman: PodmanTarget,
  dir: string,
  sparse: Found,
  local: boolean,
): Promise<string[]> {
  const unlisted = sparse.count - sparse.paths.length;
  const more = unlisted > 0 ? ` (and ${unlisted} more, not checked)` : "";
  if (!local)
    return [
      `${sparse.count} sparse file(s) arrive fully allocated (the Docker API's archive carries no holes): ${listed(sparse)}`,
    ];
  if (!podman.host.isLive)
    return [`${sparse.count} sparse file(s) copied with their holes, not checked: ${listed(sparse)}`];
  const kept: string[] = [];
  const filled: string[] = [];
  for (const shown of sparse.paths) {
    // The walk lists names JSON-escaped, from bytes read as latin1.
    const name = Buffer.from(JSON.parse(`"${shown}"`) as string, "latin1");
    if (await keepsHoles(Buffer.concat([Buffer.from(`${dir}/`), name]))) kept.push(shown);
    else filled.push(shown);
  }
  const notes: string[] = [];
  if (kept.length)
    notes.push(
      `${kept.length} sparse file(s) kept their holes: ${kept.join(", ")}${filled.length ? "" : more}`,
    );
  if (filled.length)
    notes.push(`${filled.length} sparse file(s) arrived fully allocated: ${filled.join(", ")}${more}`);
  return notes;
}

/** Local volumes live at <volumes>/<name>/_data: derive the new one's folder, asking Podman only if that guess is wrong. */
async function siblingMountpoint(
  podman: PodmanTarget,
  stagingDir: string,
  staging: string,
  target: string,
): Promise<string> {
  const suffix = `/${staging}/_data`;
  if (stagingDir.endsWith(suffix)) {
    const guess = `${stagingDir.slice(0, -suffix.length)}/${target}/_data`;
    if ((await podman.host.stat(guess))?.type === "dir") return guess;
  }
  return podman.mountpoint(target);
}

/** Volumes podlift cannot copy by their content, and why. */
export function unsupportedReason(volume: DockerVolume): string | null {
  if (volume.Driver !== "local")
    return `volume driver ${volume.Driver} has no Podman equivalent podlift can create`;
  const options = volume.Options ?? {};
  if (options.device || options.type) {
    // Names and options come from the engine: quoted, so the command can be pasted as it is.
    const opts = Object.entries(options)
      .map(([k, v]) => `--opt ${shellQuote(`${k}=${v}`)}`)
      .join(" ");
    return `the volume is backed by ${options.device ?? options.type}, not by data in Docker: create it in Podman with podman volume create ${opts} ${shellQuote(volume.Name)}`;
  }
  return null;
}

/** The end of a pipeline that failed first, in words, with tar's own lines. */
function failure(exit: Exit, side: string): string {
  const lines = exit.stderrLines.filter((l) => l.trim() && !/Exiting with failure status/.test(l));
  const more = lines.length + exit.droppedLines - 3;
  const said = lines.length
    ? `: ${lines.slice(0, 3).join("; ")}${more > 0 ? ` (and ${more} more line(s))` : ""}`
    : "";
  const how =
    exit.signal === "SIGKILL"
      ? "was killed (SIGKILL, e.g. by the OOM killer)"
      : `failed (${describeExit(exit)})`;
  return `${side} ${how}${said}`;
}

/** Stops everything when no byte moved for stallMs; calls back with the count as it grows. */
function watchdog(
  bytes: () => number | null,
  stallMs: number,
  onBytes: ((n: number) => void) | undefined,
  onStall: () => void,
) {
  let last = -1;
  let since = performance.now();
  const timer = setInterval(
    () => {
      const n = bytes();
      if (n === null) return;
      if (n !== last) {
        last = n;
        since = performance.now();
        onBytes?.(n);
      } else if (performance.now() - since >= stallMs) {
        clearInterval(timer);
        onStall();
      }
    },
    Math.min(250, stallMs / 4),
  );
  return () => clearInterval(timer);
}

/**
 * Copies the volume into dir. Returns the comparison holding the source's side when verifying.
 * The first end that fails or stalls ends the whole pipeline at once, and names itself.
 */
async function copy(
  docker: DockerClient,
  podman: PodmanTarget,
  volume: DockerVolume,
  dir: string,
  options: VolumeOptions,
  result: VolumeResult,
): Promise<{ comparison: Comparison | null; local: boolean; direct: DirectCheck | null }> {
  const stallMs = options.stallMs ?? Number(podman.host.env("PODLIFT_STALL_MS") ?? 60000);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  let why: string | null = null;
  const fail = (text: string) => {
    why ??= text;
    stop.abort();
  };
  const watcher = watchStarts(docker, volume.Name, stop.signal, (names) =>
    fail(
      `container(s) ${names.join(", ")} started using ${volume.Name} during the copy: the copy may be stale; stop them and run again`,
    ),
  );
  const local =
    options.via === "auto" &&
    docker.isLocal &&
    podman.host.isLive &&
    podman.host.currentUser().uid === 0 &&
    (await podman.host.stat(volume.Mountpoint))?.type === "dir";
  // Read locally, both sides come in name order and spill to a file; the engine's archive comes
  // in its own order, held in memory.
  const comparison: Comparison | null = options.verify
    ? local
      ? new SortedComparison({ xattrs: true })
      : new StreamingComparison({ xattrs: true })
    : null;
  // Large plain files the walk listed are compared file to file after the copy, not read through
  // tar; rootful targets only (a rootless copy's owners are seen mapped from outside).
  const direct =
    comparison && local && podman.user === null
      ? await DirectCheck.of(podman.host, options.preflight?.direct)
      : null;
  let handedOver = false;
  const handOver = () => {
    handedOver = true;
    return { comparison, local, direct };
  };
  const builder = comparison
    ? new ManifestBuilder(true, { store: false, onEntry: comparison.addSource, parallel: true })
    : null;
  const targetSpec = await podman.spec(PodmanTarget.extractArgv(dir));
  let target: Promise<Exit> | null = null;
  const watch = (p: Piped, side: string) =>
    p.exited.then(async (exit) => {
      if (exit.code === 0 || stop.signal.aborted) return exit;
      // A writer whose reader went away is the consequence: the reader's own end says why.
      if (target && p.argv !== targetSpec.argv && exit.stderrLines.some((l) => BROKEN.test(l))) {
        const other = await Promise.race([target, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
        if (other && other.code !== 0) fail(failure(other, "tar in the target"));
      }
      fail(failure(exit, side));
      return exit;
    });
  let stopWatchdog = () => {};
  try {
    const socketsFrom = (exit: Exit) => {
      const lines = exit.stderrLines.filter((l) => /socket ignored$/.test(l));
      if (lines.length && !result.notes.some((n) => n.includes("unix socket")))
        result.notes.push(
          `tar did not copy ${lines.length} unix socket(s): ${lines.slice(0, 10).join("; ")}`,
        );
    };
    const reader = `reading ${volume.Mountpoint} with tar`;
    if (local) {
      // Tar to tar, fd to fd; started in one tick, so Node never reads the pipe. When verifying,
      // a second read of the source (from the page cache, mostly) is hashed alongside.
      const src = spawnPiped({
        argv: PodmanTarget.archiveArgv(volume.Mountpoint),
        stdin: "ignore",
        stdout: "pipe",
        signal: stop.signal,
      });
      const tgt = spawnPiped({
        ...targetSpec,
        stdin: src.stdout as never,
        stdout: "ignore",
        signal: stop.signal,
      });
      const hasher = builder
        ? spawnPiped({
            argv: PodmanTarget.archiveArgv(volume.Mountpoint, true, direct?.excludeArgs() ?? []),
            stdin: "ignore",
            stdout: "pipe",
            signal: stop.signal,
          })
        : null;
      const hashing =
        hasher && builder
          ? pipeline(hasher.stdout as NodeJS.ReadableStream, builder).catch((e: Error) =>
              fail(`reading the source for verification failed: ${e.message}`),
            )
          : null;
      let lastBytes = 0;
      stopWatchdog = watchdog(
        () => {
          const n = bytesWritten(src.pid);
          if (n !== null) lastBytes = n;
          return src.done ? null : n;
        },
        stallMs,
        options.onBytes,
        () => fail(`the copy stalled: no data moved for ${Math.round(stallMs / 1000)} s; stopped it`),
      );
      target = watch(tgt, "tar in the target");
      const [srcExit, tgtExit, hashExit] = await Promise.all([
        watch(src, reader),
        target,
        hasher ? watch(hasher, `${reader} for verification`) : null,
      ]);
      await hashing;
      socketsFrom(srcExit);
      result.bytes = options.preflight?.bytes ?? lastBytes;
      result.entries = builder
        ? builder.count + (direct?.paths.length ?? 0)
        : (options.preflight?.entries ?? 0);
      const ok = srcExit.code === 0 && tgtExit.code === 0 && (hashExit === null || hashExit.code === 0);
      if (ok && !why && !stop.signal.aborted) return handOver();
      if (!why && !options.signal?.aborted) why = failure(tgtExit, "tar in the target");
    } else {
      // Through the engine API: each chunk is counted (and parsed and hashed) on its way.
      const source = await openSource(docker, podman.host, volume, "engine-api", stop.signal);
      result.notes.push(...source.notes);
      const stream = source.stream;
      const finish = () => source.finish();
      const close = () => source.close();
      try {
        const tgt = spawnPiped({ ...targetSpec, stdin: "pipe", stdout: "ignore", signal: stop.signal });
        const tgtExit = watch(tgt, "tar in the target");
        let bytes = 0;
        stopWatchdog = watchdog(
          () => bytes,
          stallMs,
          options.onBytes,
          () =>
            fail(
              `the copy stalled: no data came from the Docker engine or went into the target for ${Math.round(stallMs / 1000)} s; stopped it`,
            ),
        );
        // Counts and checks each chunk on its way to tar; waits when the checking side is behind.
        const tap = new Transform({
          highWaterMark: 1024 * 1024,
          transform(chunk: Buffer, _enc, callback) {
            bytes += chunk.length;
            if (!builder || builder.write(chunk)) callback(null, chunk);
            else builder.once("drain", () => callback(null, chunk));
          },
        });
        let streamError: Error | null = null;
        await pipeline(stream, tap, tgt.stdin as NodeJS.WritableStream).catch((e: Error) => {
          streamError = e;
        });
        const incomplete = await finish();
        if (incomplete) fail(incomplete);
        if (streamError && !why) {
          // The target's own exit says more than EPIPE, when it ended first.
          const exit = await Promise.race([
            tgtExit,
            new Promise<null>((r) => setTimeout(() => r(null), 2000)),
          ]);
          if (!why)
            fail(
              exit && exit.code !== 0 ? failure(exit, "tar in the target") : (streamError as Error).message,
            );
        }
        if (builder && !why)
          await new Promise<void>((resolve) => {
            builder.once("error", (e) => {
              fail(`checking the stream failed: ${e.message}`);
              resolve();
            });
            builder.end(resolve);
          });
        const exit = await tgtExit;
        result.bytes = bytes;
        result.entries = builder?.count ?? options.preflight?.entries ?? 0;
        if (exit.code === 0 && !why && !stop.signal.aborted) return handOver();
        if (!why && !options.signal?.aborted) why = failure(exit, "tar in the target");
      } finally {
        stop.abort(); // the archive request or the source's tar, if still running
        await close();
      }
    }
  } finally {
    stopWatchdog();
    stop.abort();
    if (!handedOver) {
      comparison?.close(); // the spill file of a copy that failed
      direct?.close();
    }
    options.signal?.removeEventListener("abort", onAbort);
    await watcher;
  }
  if (options.signal?.aborted) throw new Error("interrupted");
  throw new Error(why ?? "the copy failed");
}

/** Reads the copy back and checks each entry against the source's as it comes. */
async function readBack(
  podman: PodmanTarget,
  dir: string,
  comparison: Comparison,
  options: VolumeOptions,
  exclude: string[],
) {
  const snap = spawnPiped({
    ...(await podman.spec(PodmanTarget.archiveArgv(dir, true, exclude))),
    stdin: "ignore",
    stdout: "pipe",
    signal: options.signal,
  });
  const builder = new ManifestBuilder(true, { store: false, onEntry: comparison.checkCopy, parallel: true });
  const reading = await pipeline(snap.stdout as NodeJS.ReadableStream, builder).then(
    () => null,
    (e: Error) => e,
  );
  const exit = await snap.exited;
  if (options.signal?.aborted) throw new Error("interrupted");
  if (exit.code !== 0) throw new Error(failure(exit, "reading the copy back"));
  if (reading) throw new Error(`reading the copy back failed: ${reading.message}`);
}

/**
 * Watches the engine's events while copying: a container that starts and uses the volume ends
 * the copy at once. An engine that cannot give events leaves the check before promotion alone.
 */
async function watchStarts(
  docker: DockerClient,
  volume: string,
  signal: AbortSignal,
  onStart: (names: string[]) => void,
): Promise<void> {
  const filters = encodeURIComponent(JSON.stringify({ type: ["container"], event: ["start"] }));
  try {
    const res = await docker.open("GET", `/events?filters=${filters}`, undefined, 10000, signal);
    if ((res.statusCode ?? 500) >= 300) {
      res.resume();
      return;
    }
    await new Promise<void>((resolve) => {
      res.on("data", () => {
        void docker
          .containersUsing(volume)
          .then((cs) => {
            const running = cs.filter((c) => c.State === "running");
            if (running.length > 0) onStart(running.map(containerName));
          })
          .catch(() => undefined);
      });
      res.on("error", () => resolve());
      res.on("close", () => resolve());
      res.on("end", () => resolve());
    });
  } catch {
    // no events: the check before promotion still holds
  }
}
