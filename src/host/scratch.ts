// podlift's own folders on the live host, outside any file the host owns: the spool podman load
// writes into, a staged volume folder moved into place, the free space under a folder. The
// migration's raw file system calls live here, behind the door, like piped.ts's /proc reads.
import { readdirSync, statSync } from "node:fs";
import { chown, mkdir, mkdtemp, rename, rm, statfs } from "node:fs/promises";
import path from "node:path";
import type { UserInfo } from "./types.js";

/** A new folder `<parent>/<prefix>XXXXXX` (mode 0700), handed to `owner` when given. */
export async function makeScratchDir(parent: string, prefix: string, owner?: UserInfo): Promise<string> {
  let dir: string;
  try {
    dir = await mkdtemp(path.join(parent, prefix));
  } catch (error) {
    throw new Error(`cannot make a folder in ${parent}: ${(error as Error).message}`);
  }
  if (owner === undefined) return dir;
  try {
    await chown(dir, owner.uid, owner.gid);
  } catch (error) {
    await removeScratchDir(dir);
    throw new Error(`cannot hand the folder ${dir} to ${owner.name}: ${(error as Error).message}`);
  }
  return dir;
}

/** Removes a folder podlift made, with what is in it (never follows a link out of it). */
export async function removeScratchDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/** Bytes in the files directly in `dir` (a spool being filled), or null when it holds none. */
export function scratchBytes(dir: string): number | null {
  try {
    const files = readdirSync(dir);
    if (files.length === 0) return null;
    return files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  } catch {
    return null;
  }
}

/**
 * rename(2) of a folder over an empty one, then an empty folder where it was; false when the two
 * are on different file systems (the caller copies instead).
 */
export async function moveFolder(from: string, to: string): Promise<boolean> {
  const moved = await rename(from, to).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "EXDEV") return false;
      throw e;
    },
  );
  if (moved) await mkdir(from);
  return moved;
}

/** Free bytes for an unprivileged writer under `dir` (statfs(2), what df reads), or null. */
export async function freeBytes(dir: string): Promise<number | null> {
  const fs = await statfs(dir).catch(() => null);
  return fs ? fs.bavail * fs.bsize : null;
}
