// The manifest reader against archives real GNU tar writes in each format it can meet.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chownSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import {
  compareManifests,
  type Manifest,
  ManifestBuilder,
  normalize,
  parsePax,
} from "../../src/migrate/tar-manifest.js";

const root = process.getuid?.() === 0;

function tree(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-tar-"));
  const long = `${"x".repeat(120)}/${"y".repeat(120)}`;
  mkdirSync(path.join(dir, long), { recursive: true });
  writeFileSync(path.join(dir, long, "file.txt"), "deep\n");
  writeFileSync(Buffer.from(`${dir}/caf\xe9`, "latin1"), "latin1\n");
  writeFileSync(path.join(dir, "a"), "same inode\n");
  linkSync(path.join(dir, "a"), path.join(dir, "b"));
  symlinkSync(`/${"z".repeat(150)}`, path.join(dir, "long-link"));
  writeFileSync(path.join(dir, "big-owner"), "o\n");
  if (root) chownSync(path.join(dir, "big-owner"), 3000000, 3000000);
  return dir;
}

async function manifestOf(dir: string, format: string): Promise<Manifest> {
  const tar = execFileSync("tar", ["-C", dir, `--format=${format}`, "--numeric-owner", "-cf", "-", "."], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const builder = new ManifestBuilder(true);
  await pipeline(Readable.from([tar.subarray(0, 700), tar.subarray(700)]), builder); // split mid-header on purpose
  return builder.manifest;
}

describe("tar manifest", () => {
  const dir = tree();

  it.each(["gnu", "pax", "posix"])(
    "reads long names, non-UTF-8 names, hardlinks and long link targets (%s format)",
    async (format) => {
      const m = await manifestOf(dir, format);
      const names = [...m.entries.keys()];
      expect(names).toContain(`${"x".repeat(120)}/${"y".repeat(120)}/file.txt`);
      expect(names).toContain(Buffer.from("caf\xe9", "latin1").toString("latin1"));
      expect(m.entries.get("long-link")?.linkTarget).toBe(`/${"z".repeat(150)}`);
      const [a, b] = [m.entries.get("a"), m.entries.get("b")];
      expect([a?.type, b?.type].sort()).toEqual(["file", "hardlink"]);
      expect(m.entries.get(".")?.type).toBe("dir");
      if (root) expect(m.maxUid).toBe(3000000);
    },
  );

  it("finds no difference between two formats of the same tree, and every difference after a change", async () => {
    const gnu = await manifestOf(dir, "gnu");
    const pax = await manifestOf(dir, "pax");
    expect(compareManifests(gnu, pax, { xattrs: true })).toEqual([]);
    writeFileSync(path.join(dir, "a"), "changed!!!\n");
    const changed = await manifestOf(dir, "pax");
    const problems = compareManifests(gnu, changed, { xattrs: true }).map(
      (d) => `${d.path}: ${d.problem.split(":")[0]}`,
    );
    // Both members of the hardlink group changed content.
    expect(problems).toEqual(expect.arrayContaining(["a: sha256", "b: sha256"]));
  });

  it("reads sparse files (--sparse, PAX 1.0) as their whole content: holes hash as zeros", async () => {
    const sparse = mkdtempSync(path.join(os.tmpdir(), "podlift-sparse-"));
    const file = path.join(sparse, "disk.img");
    execFileSync("truncate", ["-s", "8M", file]);
    execFileSync("dd", ["if=/dev/urandom", `of=${file}`, "bs=4096", "count=1", "seek=1000", "conv=notrunc"], {
      stdio: "ignore",
    });
    execFileSync("truncate", ["-s", "3M", path.join(sparse, "all-hole.img")]);
    writeFileSync(path.join(sparse, "plain.txt"), "not sparse\n");
    const read = async (extra: string[]) => {
      const tar = execFileSync("tar", ["-C", sparse, "--format=posix", ...extra, "-cf", "-", "."], {
        maxBuffer: 64 * 1024 * 1024,
      });
      const chunks = [];
      for (let i = 0; i < tar.length; i += 1000) chunks.push(tar.subarray(i, i + 1000)); // maps split too
      const builder = new ManifestBuilder(true);
      await pipeline(Readable.from(chunks), builder);
      return { bytes: tar.length, manifest: builder.manifest };
    };
    const full = await read([]);
    const holes = await read(["--sparse"]);
    expect(holes.bytes).toBeLessThan(64 * 1024);
    expect(compareManifests(full.manifest, holes.manifest, { xattrs: true })).toEqual([]);
    const disk = holes.manifest.entries.get("disk.img");
    expect(disk).toMatchObject({ size: 8 * 1024 * 1024, stored: 4096 });
    expect(disk?.sha256).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
    expect(holes.manifest.entries.get("all-hole.img")).toMatchObject({ size: 3 * 1024 * 1024, stored: 0 });
    expect(holes.manifest.entries.get("plain.txt")?.stored).toBeUndefined();
  });

  it("rejects a stream cut in the middle of an entry", async () => {
    const tar = execFileSync("tar", ["-C", dir, "-cf", "-", "."]);
    const builder = new ManifestBuilder(true);
    await expect(pipeline(Readable.from([tar.subarray(0, 2000)]), builder)).rejects.toThrow(
      "ended in the middle of an entry",
    );
    // Cut exactly between entries: only the missing end-of-archive marker tells.
    const cut = new ManifestBuilder(true);
    await expect(pipeline(Readable.from([tar.subarray(0, 512)]), cut)).rejects.toThrow(
      "without its end-of-archive marker",
    );
  });

  it("hashes large contents on the hashing thread (parallel) and still hands entries on in order", async () => {
    const big = mkdtempSync(path.join(os.tmpdir(), "podlift-parallel-"));
    const files: [string, Buffer][] = [];
    for (let i = 0; i < 6; i++) {
      // Large ones (hashed on the thread) between small ones (hashed at once), and one of 0 bytes.
      const size = [5 * 1024 * 1024 + 17, 10, 4 * 1024 * 1024, 0, 6 * 1024 * 1024, 700][i] as number;
      const data = Buffer.alloc(size);
      for (let j = 0; j < size; j += 4096) data.writeUInt32LE(i * 1_000_003 + j, j);
      files.push([`f${i}`, data]);
      writeFileSync(path.join(big, `f${i}`), data);
    }
    execFileSync("truncate", ["-s", "2M", path.join(big, "holes.img")]);
    const tar = execFileSync(
      "tar",
      ["-C", big, "--format=posix", "--sparse", "--sort=name", "-b", "2048", "-cf", "-", "."],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const chunks = [];
    for (let i = 0; i < tar.length; i += 65536) chunks.push(tar.subarray(i, i + 65536));
    const order: string[] = [];
    const parallel = new ManifestBuilder(true, { parallel: true, onEntry: (e) => order.push(e.path) });
    await pipeline(Readable.from(chunks), parallel);
    const plain = new ManifestBuilder(true);
    await pipeline(Readable.from(chunks), plain);
    expect(order).toEqual([".", "f0", "f1", "f2", "f3", "f4", "f5", "holes.img"]);
    expect(compareManifests(plain.manifest, parallel.manifest, { xattrs: true })).toEqual([]);
    for (const [name, data] of files)
      expect(parallel.manifest.entries.get(name)?.sha256).toBe(
        createHash("sha256").update(data).digest("hex"),
      );
    // One byte changed in the middle of a large content is a difference.
    const changed = Buffer.from(files[4]?.[1] as Buffer);
    changed[3 * 1024 * 1024] = (changed[3 * 1024 * 1024] as number) ^ 1;
    writeFileSync(path.join(big, "f4"), changed);
    const other = execFileSync(
      "tar",
      ["-C", big, "--format=posix", "--sparse", "--sort=name", "-cf", "-", "."],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const copy = new ManifestBuilder(true, { parallel: true });
    await pipeline(Readable.from([other]), copy);
    // (its mtime may differ too: rewritten maybe a second later)
    expect(compareManifests(parallel.manifest, copy.manifest, { xattrs: true })).toContainEqual({
      path: "f4",
      problem: expect.stringMatching(/^sha256: /),
    });
    // An entry handed on after the digest came in can still fail the stream, as a plain one does.
    const failing = new ManifestBuilder(true, {
      parallel: true,
      onEntry: (e) => {
        if (e.path === "f2") throw new Error("out of order");
      },
    });
    await expect(pipeline(Readable.from(chunks), failing)).rejects.toThrow("out of order");
  });

  it("keeps PAX values as bytes", () => {
    const body = Buffer.concat([
      Buffer.from(" SCHILY.xattr.user.k="),
      Buffer.from([0xff, 0x00]),
      Buffer.from("\n"),
    ]);
    const record = Buffer.concat([Buffer.from(String(body.length + 2)), body]);
    expect(parsePax(record).get("SCHILY.xattr.user.k")).toEqual(Buffer.from([0xff, 0x00]));
    expect(normalize("./a/b/")).toBe("a/b");
    expect(normalize("./")).toBe(".");
  });
});
