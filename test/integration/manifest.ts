// A before/after picture of host folders, to prove a command changed nothing it does not
// document: for every entry its type, mode, owner, size and change time (ctime moves on any write,
// chmod, chown or rename), and a hash of small regular files. Never follows links, never opens
// anything but regular files.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export type Manifest = Map<string, string>;

const HASH_LIMIT = 256 * 1024;

function describeEntry(p: string): string | null {
  let s: import("node:fs").BigIntStats;
  try {
    s = lstatSync(p, { bigint: true });
  } catch {
    return null; // vanished while walking (a process's /dev/pts entry)
  }
  const type = s.isFile()
    ? "file"
    : s.isDirectory()
      ? "dir"
      : s.isSymbolicLink()
        ? "link"
        : s.isCharacterDevice()
          ? `char:${s.rdev}`
          : s.isBlockDevice()
            ? `block:${s.rdev}`
            : s.isFIFO()
              ? "fifo"
              : s.isSocket()
                ? "socket"
                : "other";
  let hash = "";
  if (s.isFile() && s.size <= BigInt(HASH_LIMIT)) {
    try {
      hash = createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16);
    } catch {
      hash = "unreadable";
    }
  }
  // A folder's own size and ctime change whenever an entry is added or removed: those show up
  // as the entries themselves, so folders are compared by type, mode and owner only.
  const changeable = s.isDirectory() ? "" : ` size=${s.size} ctime=${s.ctimeNs}`;
  return `${type} mode=${(s.mode & 0o7777n).toString(8)} owner=${s.uid}:${s.gid}${changeable} ${hash}`;
}

export function manifest(roots: readonly string[], skip: (p: string) => boolean = () => false): Manifest {
  const out: Manifest = new Map();
  const walk = (p: string) => {
    if (skip(p)) return;
    const d = describeEntry(p);
    if (d === null) return;
    out.set(p, d);
    if (!d.startsWith("dir")) return;
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const n of names) walk(path.join(p, n));
  };
  for (const r of roots) walk(r);
  return out;
}

/** What differs: added, removed and changed paths, sorted. */
export function diffManifests(before: Manifest, after: Manifest): string[] {
  const out: string[] = [];
  for (const [p, d] of before) {
    const now = after.get(p);
    if (now === undefined) out.push(`removed ${p}`);
    else if (now !== d) out.push(`changed ${p}: ${d} -> ${now}`);
  }
  for (const p of after.keys()) if (!before.has(p)) out.push(`added ${p}`);
  return out.sort();
}
