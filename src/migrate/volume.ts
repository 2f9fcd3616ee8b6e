// One volume, Docker to Podman: bytes stream from the engine's archive endpoint through podlift
// (hashed on the way when verifying) into tar in the target, never into a file or into memory.
// Data lands in a staging volume "<name>.podlift-partial"; only a copy that verified becomes
// the real volume, so a failure never leaves a half-made volume under the real name.
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { shellQuote } from "../text/safe-text.js";
import type { DockerClient, DockerVolume } from "./docker.js";
import type { PodmanTarget } from "./podman.js";
import { openSource, type Via } from "./source.js";
import { compareManifests, type Difference, type Manifest, ManifestBuilder } from "./tar-manifest.js";

export const SOURCE_LABEL = "io.podlift.migrated-from";

export interface VolumeOptions {
  /** "engine-api" reads through the Docker API even where the volume folder is readable. */
  via: Via;
  verify: boolean;
  onConflict: "fail" | "skip" | "replace";
  stopContainers: boolean;
  keepPartial: boolean;
  signal?: AbortSignal;
  onBytes?: (total: number) => void;
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
  try {
    const unsupported = unsupportedReason(volume);
    if (unsupported) return done({ error: unsupported });
    const sourceLabel = `docker/${volume.Name}`;
    const exists = await podman.exists(target);
    if (exists) {
      const labels = await podman.labels(target);
      if (labels[SOURCE_LABEL] === sourceLabel)
        return done({
          status: "already-migrated",
          verified: true,
          notes: ["migrated and verified by an earlier run"],
        });
      if (options.onConflict === "fail")
        return done({
          error: `a Podman volume named ${target} exists; choose --on-conflict skip or replace`,
        });
      if (options.onConflict === "skip")
        return done({ status: "skipped", notes: [`a Podman volume named ${target} exists`] });
    }
    const running = (await docker.containersUsing(volume.Name)).filter((c) => c.State === "running");
    if (running.length > 0) {
      const names = running.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12));
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

    staging = stagingName(target);
    // Each podman call costs ~0.1 s: try to create first, and clear a staging volume left by an
    // interrupted run only when there is one.
    await podman.create(staging).catch(async (error: Error) => {
      if (!/already exists/i.test(error.message)) throw error;
      await podman.remove(staging as string);
      await podman.create(staging as string);
    });
    const stagingDir = await podman.mountpoint(staging);
    const source = await copy(docker, podman, volume, stagingDir, options, result);
    if (options.verify) {
      const copied = await snapshot(podman, stagingDir, options.signal);
      const differences = compareManifests(source, copied, { xattrs: true });
      if (differences.length > 0)
        return done({ differences, error: `${differences.length} difference(s) between source and copy` });
      result.verified = true;
    }
    if (exists) await podman.remove(target); // replace: the old volume goes only now, after the copy verified
    await podman.create(target, { ...(volume.Labels ?? {}), [SOURCE_LABEL]: sourceLabel });
    await podman.move(stagingDir, await siblingMountpoint(podman, stagingDir, staging, target));
    await podman.remove(staging);
    staging = null;
    return done({ status: "migrated" });
  } catch (error) {
    return done({ error: (error as Error).message });
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

async function copy(
  docker: DockerClient,
  podman: PodmanTarget,
  volume: DockerVolume,
  dir: string,
  options: VolumeOptions,
  result: VolumeResult,
): Promise<Manifest> {
  const source = await openSource(docker, podman.host, volume, options.via, options.signal);
  try {
    result.notes.push(...source.notes);
    const tar = await podman.extract(dir, options.signal);
    const manifest = new ManifestBuilder(options.verify);
    let bytes = 0;
    // Counts and hashes each chunk on its way to tar; waits when the hashing side is behind.
    const tap = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        bytes += chunk.length;
        options.onBytes?.(bytes);
        if (manifest.write(chunk)) callback(null, chunk);
        else manifest.once("drain", () => callback(null, chunk));
      },
    });
    try {
      await pipeline(source.stream, tap, tar.stdin);
      // A source that stopped early is a failure even if the bytes so far were a valid tar.
      const incomplete = await source.finish();
      if (incomplete) throw new Error(incomplete);
      await new Promise<void>((resolve, reject) => {
        manifest.once("error", reject);
        manifest.end(resolve);
      });
    } catch (error) {
      tar.kill();
      const exit = await tar.result;
      const incomplete = await source.finish();
      const tarSaid =
        exit.exitCode !== 0 && exit.exitCode !== null
          ? exit.stderr.trim().split("\n").slice(-2).join(" ")
          : "";
      throw new Error(
        incomplete ?? (tarSaid ? `tar in the target failed: ${tarSaid}` : (error as Error).message),
      );
    }
    const exit = await tar.result;
    if (exit.exitCode !== 0) {
      throw new Error(
        `tar in the target failed (exit ${exit.exitCode}): ${exit.stderr.trim().split("\n").slice(-2).join(" ")}`,
      );
    }
    result.bytes = bytes;
    result.entries = manifest.manifest.entries.size;
    return manifest.manifest;
  } finally {
    await source.close();
  }
}

async function snapshot(podman: PodmanTarget, dir: string, signal?: AbortSignal): Promise<Manifest> {
  const tar = await podman.snapshot(dir, signal);
  tar.stdin.end();
  const manifest = new ManifestBuilder(true);
  await pipeline(tar.stdout, manifest);
  const exit = await tar.result;
  if (exit.exitCode !== 0) throw new Error(`reading the copy back failed: ${exit.stderr.trim()}`);
  return manifest.manifest;
}
