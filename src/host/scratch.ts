// podlift's own folders on the live host, outside any file the host owns: the spool podman load
// writes into, a staged volume folder moved into place, the free space under a folder. The
// migration's raw file system calls live here, behind the door, like piped.ts's /proc reads.
import {
  closeSync,
  constants,
  type FSWatcher,
  fstatSync,
  mkdtempSync,
  opendirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  watch,
  writeSync,
} from "node:fs";
import { chown, mkdir, mkdtemp, rename, rm, statfs } from "node:fs/promises";
import os from "node:os";
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

/**
 * Holds the first regular file that appears directly in `dir` (the spool podman load fills, then
 * deletes) open from the moment it appears, so that its final size is still there after the
 * unlink: sampling sizes missed a small image that was written, spooled, loaded and deleted
 * between two samples (its bytes were reported as 0). `bytes()` is that file's size now, `close()`
 * lets it go. The folder may belong to the rootless target, who may change it while podlift runs
 * as root: it is opened once, never through a link, and its entries through that descriptor
 * (/proc/self/fd/N/name), so a folder swapped for a link to /dev is never reached; an entry is
 * opened non-blocking, never through a link and never as a controlling terminal, and kept only
 * when it is a regular file; at most 64 entries are tried. Nothing here throws. Where inotify is
 * refused (its limits) or /proc is missing, it holds at most what is there at the start, and
 * says so (`watching` false): the caller keeps its samples.
 */
export function holdSpoolFile(dir: string): { bytes(): number; close(): void; watching: boolean } {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW, O_NOCTTY, O_DIRECTORY } = constants;
  const tried = new Set<string>();
  let held: number | null = null;
  let closed = false;
  let watcher: FSWatcher | null = null;
  let folder: number | null = null;
  try {
    folder = openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    folder = null;
  }
  const through = `/proc/self/fd/${folder}`;
  const hold = (name: string) => {
    if (closed || held !== null || folder === null || tried.size >= 64) return;
    if (name === "" || name.includes("/") || tried.has(name)) return;
    let fd: number;
    try {
      fd = openSync(`${through}/${name}`, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    } catch {
      return; // gone already, or nothing to open
    }
    tried.add(name);
    let file = false;
    try {
      file = fstatSync(fd).isFile();
    } catch {
      file = false;
    }
    if (!file) {
      closeSync(fd);
      return;
    }
    held = fd;
    // podman load spools into one file: once it is held, the watch ends (each of its writes
    // was an event to read: a 256 MiB image moved at 0.89x the pipe's throughput, not 0.99x,
    // bench/images.mjs).
    watcher?.close();
  };
  if (folder !== null) {
    try {
      watcher = watch(through, { persistent: false }, (_event, name) => {
        if (typeof name === "string") hold(name);
      });
      watcher.on("error", () => undefined);
    } catch {
      watcher = null;
    }
    // What is there before the watch began (a bounded look: the folder's owner can fill it).
    try {
      const listing = opendirSync(through);
      try {
        for (let i = 0; i < 64 && held === null; i++) {
          const entry = listing.readSync();
          if (entry === null) break;
          hold(entry.name);
        }
      } finally {
        listing.closeSync();
      }
    } catch {
      // the folder is gone: nothing more to hold
    }
  }
  return {
    watching: watcher !== null,
    bytes: () => {
      if (held === null) return 0;
      try {
        return fstatSync(held).size;
      } catch {
        return 0;
      }
    },
    close: () => {
      closed = true;
      watcher?.close();
      if (held !== null) closeSync(held);
      if (folder !== null) closeSync(folder);
      held = null;
      folder = null;
    },
  };
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

/**
 * A file of lines podlift writes once and then reads back in order (a spill of what would not
 * fit in memory), in a private folder of the temporary directory, removed by close(). Writes
 * are buffered; reading starts with the first nextLine() and ends writing.
 */
export class SpillFile {
  private readonly dir: string;
  private writeFd: number | null;
  private readonly file: string;
  private readFd: number | null = null;
  private pending: string[] = [];
  private pendingBytes = 0;
  private text = "";
  private at = 0;
  private eof = false;
  private readonly chunk = Buffer.allocUnsafe(64 * 1024);
  private closed = false;

  /** In `<tmp>/<prefix>XXXXXX/<name>`. */
  constructor(prefix: string, name: string) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.file = path.join(this.dir, name);
    this.writeFd = openSync(this.file, "wx", 0o600);
  }

  /** Appends one line (no newline inside; latin1, as tar's paths are read). */
  append(line: string): void {
    if (this.writeFd === null) throw new Error("the spill file is being read: no more lines");
    this.pending.push(`${line}\n`);
    this.pendingBytes += line.length + 1;
    if (this.pendingBytes >= 256 * 1024) this.flush();
  }

  private flush(): void {
    if (this.writeFd === null || this.pending.length === 0) return;
    writeSync(this.writeFd, this.pending.join(""), null, "latin1");
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Ends writing and leaves the file for another program to read: its path (close() removes it). */
  finish(): string {
    this.flush();
    if (this.writeFd !== null) closeSync(this.writeFd);
    this.writeFd = null;
    return this.file;
  }

  /** The next line written, or null after the last. */
  nextLine(): string | null {
    if (this.readFd === null) {
      this.flush();
      if (this.writeFd !== null) closeSync(this.writeFd);
      this.writeFd = null;
      this.readFd = openSync(this.file, "r");
    }
    for (;;) {
      const nl = this.text.indexOf("\n", this.at);
      if (nl !== -1) {
        const line = this.text.slice(this.at, nl);
        this.at = nl + 1;
        return line;
      }
      if (this.eof) return null;
      const n = readSync(this.readFd, this.chunk, 0, this.chunk.length, null);
      if (n === 0) this.eof = true;
      this.text = this.text.slice(this.at) + this.chunk.toString("latin1", 0, n);
      this.at = 0;
    }
  }

  /** Closes and removes the file (safe to call twice). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of [this.writeFd, this.readFd]) if (fd !== null) closeSync(fd);
    this.writeFd = null;
    this.readFd = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
