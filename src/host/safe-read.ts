// Reads that cannot hang or flood memory: only regular files, opened non-blocking, bounded.
// A FIFO opened with a plain readFile blocks a libuv worker thread forever (and process.exit
// waits for it); /dev/zero under a name podlift reads grows memory without end. So: stat first
// and never open what is not a regular file; open with O_NONBLOCK so a FIFO swapped in after the
// stat cannot block; fstat the descriptor to be sure; read at most maxBytes.
import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import { UsageError } from "../errors.js";
import type { FileType } from "./types.js";

/** Default bound for a host file podlift reads (configs, specs, /proc files). */
export const MAX_READ_BYTES = 8 * 1024 * 1024;

export type UnreadableKind =
  | "fifo"
  | "char"
  | "block"
  | "socket"
  | "dir"
  | "other"
  | "too-large"
  | "permission"
  | "loop"
  | "io";

/**
 * A host file that exists but cannot be read as a file. Not a podlift defect: the engine turns
 * it into a finding about the host ("is a FIFO, expected a regular file").
 */
export class UnreadableFileError extends UsageError {
  constructor(
    readonly path: string,
    readonly kind: UnreadableKind,
    detail?: string,
  ) {
    super(`${path} ${describeKind(kind, detail)}`);
  }
}

export function describeKind(kind: UnreadableKind, detail?: string): string {
  switch (kind) {
    case "fifo":
      return "is a FIFO (named pipe), expected a regular file";
    case "char":
      return "is a character device, expected a regular file";
    case "block":
      return "is a block device, expected a regular file";
    case "socket":
      return "is a socket, expected a regular file";
    case "dir":
      return "is a folder, expected a regular file";
    case "other":
      return "is not a regular file";
    case "too-large":
      return `is too large to read${detail ? ` (${detail})` : ""}`;
    case "permission":
      return `cannot be read: permission denied${detail ? ` (${detail})` : ""}`;
    case "loop":
      return "cannot be resolved: too many levels of symbolic links";
    case "io":
      return `cannot be read${detail ? `: ${detail}` : ""}`;
  }
}

export function kindOfStats(s: import("node:fs").Stats): FileType {
  if (s.isFile()) return "file";
  if (s.isDirectory()) return "dir";
  if (s.isSymbolicLink()) return "symlink";
  if (s.isSocket()) return "socket";
  if (s.isCharacterDevice()) return "char";
  if (s.isBlockDevice()) return "block";
  if (s.isFIFO()) return "fifo";
  return "other";
}

function unreadableFor(type: FileType): UnreadableKind {
  return type === "fifo" || type === "char" || type === "block" || type === "socket" || type === "dir"
    ? type
    : "other";
}

function isMissingCode(code: string | undefined): boolean {
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Maps an errno from stat/open/read to the reason a person reads. */
function fromErrno(displayPath: string, error: unknown): UnreadableFileError {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "EACCES" || e?.code === "EPERM") return new UnreadableFileError(displayPath, "permission");
  if (e?.code === "ELOOP") return new UnreadableFileError(displayPath, "loop");
  if (e?.code === "EISDIR") return new UnreadableFileError(displayPath, "dir");
  return new UnreadableFileError(displayPath, "io", e?.code ?? (e instanceof Error ? e.message : String(e)));
}

export interface SafeReadOptions {
  maxBytes?: number;
  /** The path to name in messages (the host path, not the real one under --root). */
  displayPath?: string;
}

/**
 * The bytes of a regular file, or null when it does not exist. Anything else (a FIFO, a device,
 * a folder, a loop, too large, no permission) throws UnreadableFileError; never blocks.
 */
export async function readRegularFile(
  realPath: string,
  options: SafeReadOptions = {},
): Promise<Buffer | null> {
  const shown = options.displayPath ?? realPath;
  const max = options.maxBytes ?? MAX_READ_BYTES;
  let before: import("node:fs").Stats;
  try {
    before = await stat(realPath);
  } catch (error) {
    if (isMissingCode((error as NodeJS.ErrnoException).code)) return null;
    throw fromErrno(shown, error);
  }
  const type = kindOfStats(before);
  if (type !== "file") throw new UnreadableFileError(shown, unreadableFor(type));
  if (before.size > max)
    throw new UnreadableFileError(shown, "too-large", `${before.size} bytes, limit ${max}`);
  let handle: import("node:fs/promises").FileHandle;
  try {
    handle = await open(realPath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if (isMissingCode((error as NodeJS.ErrnoException).code)) return null;
    throw fromErrno(shown, error);
  }
  try {
    const s = await handle.stat();
    const now = kindOfStats(s);
    if (now !== "file") throw new UnreadableFileError(shown, unreadableFor(now));
    // /proc and /sys files report size 0: read until end of file, never past the bound.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(64 * 1024, max + 1 - total);
      const buf = Buffer.allocUnsafe(Math.max(want, 1));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      chunks.push(buf.subarray(0, bytesRead));
      if (total > max) throw new UnreadableFileError(shown, "too-large", `more than ${max} bytes`);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    throw fromErrno(shown, error);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** readRegularFile as UTF-8 text. */
export async function readRegularText(
  realPath: string,
  options: SafeReadOptions = {},
): Promise<string | null> {
  const buf = await readRegularFile(realPath, options);
  return buf === null ? null : buf.toString("utf8");
}
