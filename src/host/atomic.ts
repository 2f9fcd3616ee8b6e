// Files podlift writes appear whole or not at all, and writing one never damages what was there.
// A rename replaces whatever sits at the target, so it is used only over a regular file (or over
// nothing): `--output /dev/null` once deleted the host's /dev/null. The rules:
// - a symlink is followed to its target (the link stays a link); under --root the caller has
//   already resolved links inside the root and passes followSymlinks: false;
// - a character device or FIFO (and anything under /dev or /proc, such as /dev/stdout) is
//   written through in place, opened non-blocking so a FIFO without a reader is an error, not
//   a hang; a block device, socket or folder is refused;
// - a regular file with other hard links is rewritten in place, so the links stay one file;
// - an existing file keeps its owner and mode unless the caller forces a mode;
// - otherwise: temporary file in the same folder, fsync, rename, fsync of the folder.
import { constants } from "node:fs";
import { chown, lstat, open, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { EXIT } from "../doctor/exit-code.js";
import { PodliftError } from "../errors.js";

const MAX_LINKS = 40;

/** Why a file could not be written, in one line. `usage` when the path itself is wrong. */
export class OutputError extends PodliftError {
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message, usage ? EXIT.usage : EXIT.failed);
  }
}

export interface AtomicOptions {
  /** Mode of a new file; an existing file keeps its own unless forceMode is set. */
  mode?: number;
  /** Apply `mode` to an existing file too (a support bundle is always 0600). */
  forceMode?: boolean;
  /** Owner of the written file; default: an existing file's owner, else whoever podlift runs as. */
  owner?: { uid: number; gid: number };
  /** Follow a symlink at the target (default true). Under --root, links are resolved by the caller. */
  followSymlinks?: boolean;
  /** Test seam: runs after the temporary file is complete, just before the rename. */
  beforeRename?: (tmp: string) => Promise<void> | void;
}

export type WriteHow = "created" | "replaced" | "in-place";

/** What a write did and where it landed (after following links). */
export interface WriteResult {
  how: WriteHow;
  path: string;
}

/** The temporary name beside a target; the fix engine cleans up stale ones by this pattern. */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.podlift-${process.pid}-${Date.now()}`);
}

export async function writeFileAtomic(
  file: string,
  content: string | Buffer,
  options: AtomicOptions = {},
): Promise<WriteResult> {
  if (file === "") throw new OutputError("the output file name is empty", true);
  if (file.endsWith("/") && file !== "/") throw new OutputError(`${file} names a folder, not a file`, true);
  if (file === "-") return writeStdout(typeof content === "string" ? Buffer.from(content) : content);
  const data = typeof content === "string" ? Buffer.from(content) : content;
  if (isPassThrough(file)) return writeInPlace(file, data, file);
  const target = options.followSymlinks === false ? { path: file } : await followLinks(file);
  if ("passThrough" in target) return writeInPlace(file, data, file);
  const real = target.path;
  let info: import("node:fs").Stats | null;
  try {
    info = await lstat(real);
  } catch (error) {
    if (!isMissing(error)) throw outputError(file, error);
    info = null;
  }
  if (info === null) {
    await requireFolder(file, path.dirname(real));
    return { how: "created", path: await replaceByRename(file, real, data, options) };
  }
  if (info.isCharacterDevice() || info.isFIFO()) return writeInPlace(file, data, real);
  if (info.isDirectory()) throw new OutputError(`${file} is a folder, not a file`, true);
  if (info.isSymbolicLink())
    throw new OutputError(`${file} is a symbolic link; podlift does not replace links`, true);
  if (!info.isFile())
    throw new OutputError(
      `${file} is a ${info.isBlockDevice() ? "block device" : info.isSocket() ? "socket" : "special file"}; podlift writes only to regular files, character devices and FIFOs`,
      true,
    );
  const forced = options.forceMode ? options.mode : undefined;
  // Another name for the same file would be split off by a rename: rewrite it in place.
  if (info.nlink > 1) return writeRegularInPlace(file, real, data, forced, options.owner);
  const owner = options.owner ?? { uid: info.uid, gid: info.gid };
  if (!canOwn(owner)) return writeRegularInPlace(file, real, data, forced, options.owner);
  const mode = options.forceMode && options.mode !== undefined ? options.mode : info.mode & 0o7777;
  await replaceByRename(file, real, data, { ...options, mode, owner });
  return { how: "replaced", path: real };
}

/**
 * Checks, before any work, that `file` can be written by writeFileAtomic (so a bundle that takes
 * a minute to collect does not fail at the end). Returns whether it names a regular file (new or
 * existing) rather than a device, FIFO or stream.
 */
export async function checkOutputTarget(file: string): Promise<{ regular: boolean }> {
  if (file === "") throw new OutputError("the output file name is empty", true);
  if (file.endsWith("/") && file !== "/") throw new OutputError(`${file} names a folder, not a file`, true);
  if (file === "-" || isPassThrough(file)) return { regular: false };
  const target = await followLinks(file);
  if ("passThrough" in target) return { regular: false };
  let info: import("node:fs").Stats;
  try {
    info = await lstat(target.path);
  } catch (error) {
    if (!isMissing(error)) throw outputError(file, error);
    await requireFolder(file, path.dirname(target.path));
    return { regular: true };
  }
  if (info.isDirectory()) throw new OutputError(`${file} is a folder, not a file`, true);
  if (info.isCharacterDevice() || info.isFIFO()) return { regular: false };
  if (!info.isFile())
    throw new OutputError(
      `${file} is a ${info.isBlockDevice() ? "block device" : info.isSocket() ? "socket" : "special file"}; podlift writes only to regular files, character devices and FIFOs`,
      true,
    );
  return { regular: true };
}

/**
 * True when `file` is podlift's own standard output under another name (`/dev/stdout`,
 * `/dev/fd/1`, or the file stdout is redirected to): the caller then treats it as `-`, so the
 * report is not written twice into one file at two offsets.
 */
export async function isOwnStdout(file: string): Promise<boolean> {
  if (file === "-") return true;
  try {
    const [target, out] = await Promise.all([stat(file), import("node:fs").then((fs) => fs.fstatSync(1))]);
    return target.dev === out.dev && target.ino === out.ino;
  } catch {
    return false;
  }
}

/** `-`: podlift's own standard output, through Node's stream so nothing written before is reordered. */
function writeStdout(data: Buffer): Promise<WriteResult> {
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (error) =>
      error ? reject(outputError("standard output", error)) : resolve({ how: "in-place", path: "-" }),
    );
  });
}

/** An entry of /proc (/proc/self/fd/1): written through, never renamed over. */
function isPassThrough(file: string): boolean {
  const abs = path.resolve(file);
  return abs.startsWith("/proc/");
}

/**
 * Who may steer a write through a symbolic link: root, or the user podlift runs as. A link owned
 * by anyone else (`~alice/.profile -> /etc/shadow`, `/tmp/report.json -> /etc/passwd` planted in
 * a sticky folder) is refused, the way the kernel's protected_symlinks refuses it, but stricter.
 */
export function trustedLinkOwner(uid: number): boolean {
  return uid === 0 || uid === (process.geteuid?.() ?? 0);
}

export function untrustedLink(file: string, link: string, uid: number): OutputError {
  return new OutputError(
    `${file}: ${link} is a symbolic link owned by uid ${uid}; podlift follows only links owned by root or by the user running it`,
    true,
  );
}

async function followLinks(file: string): Promise<{ path: string } | { passThrough: true }> {
  let current = path.resolve(file);
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    let info: import("node:fs").Stats;
    try {
      info = await lstat(current);
    } catch (error) {
      if (isMissing(error)) return { path: current };
      throw outputError(file, error);
    }
    if (!info.isSymbolicLink()) return { path: current };
    if (!trustedLinkOwner(info.uid)) throw untrustedLink(file, current, info.uid);
    // /proc/<pid>/fd/N are magic links ("pipe:[123]"): written through, never resolved by hand.
    if (await inProc(current)) return { passThrough: true };
    const link = await readlink(current);
    current = path.resolve(path.dirname(current), link);
  }
  throw new OutputError(`${file}: too many levels of symbolic links`, true);
}

/** True when the entry's folder really lies in /proc (/dev/fd/1, /dev/stdout -> /proc/self/fd/1). */
async function inProc(p: string): Promise<boolean> {
  const dir = await realpath(path.dirname(p)).catch(() => path.dirname(p));
  return dir === "/proc" || dir.startsWith("/proc/");
}

async function requireFolder(file: string, dir: string): Promise<void> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new OutputError(`cannot write ${file}: ${dir} is not a folder`, true);
  } catch (error) {
    if (error instanceof OutputError) throw error;
    if (isMissing(error))
      throw new OutputError(`cannot write ${file}: the folder ${dir} does not exist`, true);
    throw outputError(file, error);
  }
}

function canOwn(owner: { uid: number; gid: number }): boolean {
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  return uid === 0 || (owner.uid === uid && owner.gid === gid);
}

async function replaceByRename(
  shown: string,
  real: string,
  data: Buffer,
  options: AtomicOptions,
): Promise<string> {
  const tmp = tempNameFor(real);
  const mode = options.mode ?? 0o644;
  let handle: import("node:fs/promises").FileHandle;
  try {
    handle = await open(tmp, "wx", mode);
  } catch (error) {
    throw outputError(shown, error);
  }
  try {
    await handle.writeFile(data);
    // The process umask must not weaken or strengthen the mode we were asked for.
    await handle.chmod(mode);
    const owner = options.owner;
    if (owner) {
      const me = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
      if (owner.uid !== me.uid || owner.gid !== me.gid) await chown(tmp, owner.uid, owner.gid);
    }
    await handle.sync();
    await handle.close();
    await options.beforeRename?.(tmp);
    await rename(tmp, real);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw outputError(shown, error);
  }
  await syncFolder(path.dirname(real));
  return real;
}

async function syncFolder(dir: string): Promise<void> {
  const folder = await open(dir, "r").catch(() => null);
  if (folder === null) return;
  try {
    await folder.sync();
  } catch {
    // Some filesystems refuse fsync on a folder; the rename has happened either way.
  } finally {
    await folder.close();
  }
}

/** A regular file rewritten where it is (hard links, another owner): truncate, write, fsync. */
async function writeRegularInPlace(
  shown: string,
  real: string,
  data: Buffer,
  mode?: number,
  owner?: { uid: number; gid: number },
): Promise<WriteResult> {
  let handle: import("node:fs/promises").FileHandle;
  try {
    handle = await open(real, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NOCTTY);
  } catch (error) {
    throw outputError(shown, error);
  }
  try {
    // Mode and owner first, so the new content is never readable under the old ones.
    if (owner) await handle.chown(owner.uid, owner.gid);
    if (mode !== undefined) await handle.chmod(mode);
    await handle.truncate(0);
    await handle.write(data, 0, data.length, 0);
    await handle.sync();
  } catch (error) {
    throw outputError(shown, error);
  } finally {
    await handle.close().catch(() => {});
  }
  return { how: "in-place", path: real };
}

/** A character device or FIFO: opened non-blocking (a FIFO with no reader is an error, not a hang). */
async function writeInPlace(shown: string, data: Buffer, target: string): Promise<WriteResult> {
  let info: import("node:fs").Stats;
  try {
    info = await stat(target);
  } catch (error) {
    throw outputError(shown, error);
  }
  if (info.isDirectory()) throw new OutputError(`${shown} is a folder, not a file`, true);
  if (info.isBlockDevice() || info.isSocket())
    throw new OutputError(
      `${shown} is a ${info.isBlockDevice() ? "block device" : "socket"}; podlift writes only to regular files, character devices and FIFOs`,
      true,
    );
  let handle: import("node:fs/promises").FileHandle;
  try {
    // O_APPEND: a regular file behind /dev/stdout is added to, as a shell's > would have left it.
    const flags =
      constants.O_WRONLY |
      constants.O_NONBLOCK |
      constants.O_NOCTTY |
      (info.isFile() ? constants.O_APPEND : 0);
    handle = await open(target, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENXIO")
      throw new OutputError(`cannot write ${shown}: it is a FIFO and nothing is reading from it`, false);
    throw outputError(shown, error);
  }
  try {
    let offset = 0;
    const deadline = Date.now() + 30_000;
    while (offset < data.length) {
      try {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset, null);
        offset += bytesWritten;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
        // A full pipe: wait for the reader, but never forever.
        if (Date.now() > deadline)
          throw new OutputError(`cannot write ${shown}: the reader stopped reading for 30 s`, false);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  } catch (error) {
    if (error instanceof OutputError) throw error;
    throw outputError(shown, error);
  } finally {
    await handle.close().catch(() => {});
  }
  return { how: "in-place", path: target };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** An errno as one line a person reads; path problems are usage errors (exit 2). */
export function outputError(file: string, error: unknown): OutputError {
  if (error instanceof OutputError) return error;
  const e = error as NodeJS.ErrnoException;
  switch (e?.code) {
    case "EROFS":
      return new OutputError(`cannot write ${file}: read-only file system`, false);
    case "EACCES":
    case "EPERM":
      return new OutputError(`cannot write ${file}: permission denied`, false);
    case "ENOSPC":
    case "EDQUOT":
      return new OutputError(`cannot write ${file}: no space left on the device`, false);
    case "EISDIR":
      return new OutputError(`${file} is a folder, not a file`, true);
    case "ENOENT":
    case "ENOTDIR":
      return new OutputError(`cannot write ${file}: the folder does not exist`, true);
    case "ELOOP":
      return new OutputError(`${file}: too many levels of symbolic links`, true);
    case "ENAMETOOLONG":
      return new OutputError(`cannot write ${file}: the name is too long`, true);
    case "EPIPE":
      return new OutputError(`cannot write ${file}: the reader went away`, false);
    default:
      return new OutputError(
        `cannot write ${file}: ${e?.code ?? (e instanceof Error ? e.message : String(e))}`,
        false,
      );
  }
}
