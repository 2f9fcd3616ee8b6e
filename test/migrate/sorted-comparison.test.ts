// Verification of two tars in name order: the source spilled to a file, read back in step with
// the copy; the order it assumes must be the one GNU tar --sort=name really writes.
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { SortedComparison, tarOrder } from "../../src/migrate/sorted-comparison.js";
import { ManifestBuilder, type ManifestEntry } from "../../src/migrate/tar-manifest.js";

async function entries(dir: string): Promise<ManifestEntry[]> {
  const tar = execFileSync(
    "tar",
    ["-C", dir, "--numeric-owner", "--xattrs", "--sparse", "--sort=name", "-cf", "-", "."],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const out: ManifestEntry[] = [];
  await pipeline(
    Readable.from([tar]),
    new ManifestBuilder(true, { store: false, onEntry: (e) => out.push(e) }),
  );
  return out;
}

/** Names that sort differently as whole paths than folder by folder, and bytes that are not UTF-8. */
function tree(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pl12v-sorted-"));
  for (const d of ["a", "a/x", "a-b", "a.b", "B"]) mkdirSync(path.join(dir, d));
  writeFileSync(path.join(dir, "a/x/y"), "y\n");
  writeFileSync(path.join(dir, "a/z"), "z\n");
  writeFileSync(path.join(dir, "a-b/f"), "f\n");
  writeFileSync(path.join(dir, "a b"), "space\n");
  writeFileSync(path.join(dir, "new\nline"), "n\n");
  writeFileSync(Buffer.from(`${dir}/caf\xe9`, "latin1"), "latin1\n");
  writeFileSync(path.join(dir, "lead"), "same inode\n");
  linkSync(path.join(dir, "lead"), path.join(dir, "a/member"));
  return dir;
}

const spillDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith("podlift-verify-")).length;

describe("sorted comparison", () => {
  it("tarOrder is the order GNU tar --sort=name writes", async () => {
    const listed = (await entries(tree())).map((e) => e.path);
    expect([...listed].sort(tarOrder)).toEqual(listed);
    expect(listed.indexOf("a/x/y")).toBeLessThan(listed.indexOf("a-b")); // not plain string order
  });

  it("finds no difference between a tree and its copy, and removes its spill file", async () => {
    const dir = tree();
    const copy = mkdtempSync(path.join(os.tmpdir(), "pl12v-sorted-copy-"));
    execFileSync("cp", ["-a", `${dir}/.`, copy]);
    const before = spillDirs();
    const cmp = new SortedComparison();
    for (const e of await entries(dir)) cmp.addSource(e);
    expect(spillDirs()).toBe(before + 1);
    for (const e of await entries(copy)) cmp.checkCopy(e);
    expect(cmp.finish()).toEqual([]);
    expect(spillDirs()).toBe(before);
  });

  it("names changed content, missing and extra entries, and a broken hardlink group", async () => {
    const dir = tree();
    const copy = mkdtempSync(path.join(os.tmpdir(), "pl12v-sorted-copy-"));
    execFileSync("cp", ["-a", `${dir}/.`, copy]);
    writeFileSync(path.join(copy, "a/z"), "changed\n");
    execFileSync("rm", [path.join(copy, "a-b/f"), path.join(copy, "a/member")]);
    writeFileSync(path.join(copy, "a/member"), "same inode\n"); // same content, no longer a link
    writeFileSync(path.join(copy, "a.b/extra"), "x\n");
    const cmp = new SortedComparison();
    for (const e of await entries(dir)) cmp.addSource(e);
    for (const e of await entries(copy)) cmp.checkCopy(e);
    const problems = cmp.finish().map((d) => `${d.path}: ${d.problem.split(":")[0]}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        "a/z: sha256",
        "a-b/f: missing in the target",
        "a.b/extra: only in the target",
        "lead: hardlink group differs", // a/member comes first in name order: the leader
      ]),
    );
    expect(cmp.total).toBe(problems.length);
  });

  it("refuses a stream out of name order instead of comparing wrongly, and close removes the spill", () => {
    const entry = (p: string): ManifestEntry => ({
      path: p,
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 1,
      sha256: null,
      linkTarget: null,
      hardlinkTo: null,
      device: null,
      xattrs: {},
    });
    const before = spillDirs();
    const cmp = new SortedComparison();
    cmp.addSource(entry("b"));
    expect(() => cmp.addSource(entry("a"))).toThrow("not in name order at a");
    cmp.close();
    expect(spillDirs()).toBe(before);
  });

  it("keeps memory flat: 200,000 entries go to the spill file, not the heap", () => {
    const entry = (i: number): ManifestEntry => ({
      path: `d${String(Math.floor(i / 1000)).padStart(3, "0")}/f${String(i).padStart(6, "0")}`,
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 1700000000,
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      linkTarget: null,
      hardlinkTo: null,
      device: null,
      xattrs: {},
    });
    const earlier = new Set(readdirSync(os.tmpdir()).filter((n) => n.startsWith("podlift-verify-")));
    const cmp = new SortedComparison();
    for (let i = 0; i < 200000; i++) cmp.addSource(entry(i));
    const spill = readdirSync(os.tmpdir()).find((n) => n.startsWith("podlift-verify-") && !earlier.has(n));
    // The source side is on disk (the in-memory comparison holds ~250 bytes an entry, 50 MB here),
    // all but the last 256 KiB not yet written.
    const size = statSync(path.join(os.tmpdir(), spill as string, "source")).size;
    expect(size).toBeGreaterThan(200000 * 60 - 256 * 1024);
    for (let i = 0; i < 200000; i++) cmp.checkCopy(entry(i));
    expect(cmp.finish()).toEqual([]);
  });
});
