// Builds a volume holding every kind of entry tar can carry, and walks a folder independently of
// tar (lstat, readlink, getfattr, content hashes) so a test can compare source and copy.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";

const enc = (s: string) => Buffer.from(s, "latin1");
const NON_UTF8 = enc("caf\xe9-\xff\xfe");

/** Writes the test content into `dir` (a Docker volume's mountpoint). `maxId` bounds the owners. */
export function buildVolume(dir: string, options: { maxId?: number; largeMiB?: number } = {}) {
  const join = (rel: string | Buffer) =>
    Buffer.concat([Buffer.from(`${dir}/`), Buffer.isBuffer(rel) ? rel : Buffer.from(rel)]);
  mkdirSync(join("empty-dir"));
  mkdirSync(join("deep/a/b/c"), { recursive: true });
  writeFileSync(join("plain.txt"), "hello volume\n");
  writeFileSync(join("name with spaces and 'quotes' and \"double\""), "q\n");
  writeFileSync(join("new\nline"), "nl\n");
  writeFileSync(join(NON_UTF8), "latin1 name\n");
  const long = `${"d".repeat(90)}/${"e".repeat(90)}/${"f".repeat(90)}`;
  mkdirSync(join(long), { recursive: true });
  writeFileSync(join(`${long}/${"g".repeat(120)}.txt`), "long path\n");
  symlinkSync("plain.txt", join("link-to-plain"));
  symlinkSync("../../outside/nowhere", join("dangling-link"));
  symlinkSync(`/${"t".repeat(200)}/target`, join("long-link-target"));
  writeFileSync(join("hard-a"), "shared inode\n");
  linkSync(join("hard-a"), join("deep/hard-b"));
  writeFileSync(join("setuid"), "s\n");
  chmodSync(join("setuid"), 0o4755);
  writeFileSync(join("setgid"), "g\n");
  chmodSync(join("setgid"), 0o2750);
  mkdirSync(join("sticky"));
  chmodSync(join("sticky"), 0o1777);
  const maxId = options.maxId ?? 65536;
  writeFileSync(join("owned"), "owner\n");
  chownSync(join("owned"), Math.min(1234, maxId), Math.min(5678, maxId));
  chownSync(join("deep/a"), Math.min(1000, maxId), Math.min(1000, maxId));
  writeFileSync(join("xattr-file"), "x\n");
  execFileSync("setfattr", ["-n", "user.podlift", "-v", "carried", join("xattr-file").toString()]);
  const large = options.largeMiB ?? 8;
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 13) % 251;
  writeFileSync(join("large.bin"), Buffer.concat(Array.from({ length: large }, () => block)));
  // Large files verification compares where they lie (not through tar): one with an xattr, an
  // odd mode and owner, and one with a second link (that one goes through tar).
  writeFileSync(join("large-xattr.bin"), block.subarray(0, 300 * 1024));
  execFileSync("setfattr", ["-n", "user.podlift", "-v", "large", join("large-xattr.bin").toString()]);
  chmodSync(join("large-xattr.bin"), 0o640);
  chownSync(join("large-xattr.bin"), Math.min(4321, maxId), Math.min(4321, maxId));
  writeFileSync(join("large-linked.bin"), block.subarray(0, 300 * 1024));
  linkSync(join("large-linked.bin"), join("large-linked-2.bin"));
  execFileSync("truncate", ["-s", "64M", join("sparse.img").toString()]);
  writeFileSync(join("sparse.img"), "start", { flag: "r+" });
  const when = new Date("2021-03-04T05:06:07Z");
  utimesSync(join("plain.txt"), when, when);
  utimesSync(join("empty-dir"), when, when);
  // The volume root keeps its own owner and mode.
  chmodSync(dir, 0o750);
  chownSync(dir, Math.min(999, maxId), Math.min(998, maxId));
}

export interface WalkEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  link: string | null;
  sha256: string | null;
  nlink: number;
  xattr: string | null;
}

/** Every entry under dir by its path bytes (latin1), with what `ls -l`, readlink and getfattr say. */
export function walk(
  dir: string,
  toContainerId: (hostId: number) => number = (id) => id,
): Map<string, WalkEntry> {
  const out = new Map<string, WalkEntry>();
  const visit = (rel: Buffer) => {
    const full = Buffer.concat([Buffer.from(dir), rel.length ? Buffer.from("/") : Buffer.alloc(0), rel]);
    const s = lstatSync(full);
    const type = s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : s.isFile() ? "file" : "other";
    let xattr: string | null = null;
    if (type === "file") {
      try {
        xattr = execFileSync(
          "getfattr",
          ["--absolute-names", "--only-values", "-n", "user.podlift", full.toString("latin1")],
          { stdio: ["ignore", "pipe", "ignore"], encoding: "latin1" } as never,
        ).toString();
      } catch {
        xattr = null;
      }
    }
    out.set(rel.toString("latin1") || ".", {
      type,
      mode: s.mode & 0o7777,
      uid: toContainerId(s.uid),
      gid: toContainerId(s.gid),
      size: type === "file" ? s.size : 0,
      mtime: type === "symlink" ? 0 : Math.floor(s.mtimeMs / 1000),
      link: type === "symlink" ? readlinkSync(full).toString() : null,
      sha256: type === "file" ? createHash("sha256").update(readFileSync(full)).digest("hex") : null,
      nlink: type === "file" ? s.nlink : 0,
      xattr,
    });
    if (type === "dir") {
      for (const name of readdirSync(full, { encoding: "buffer" }))
        visit(rel.length ? Buffer.concat([rel, Buffer.from("/"), name]) : name);
    }
  };
  visit(Buffer.alloc(0));
  return out;
}
