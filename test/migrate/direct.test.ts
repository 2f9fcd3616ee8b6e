// Large plain files verified where they lie (src/migrate/direct.ts): the two verification tars
// leave out exactly the listed files, and each listed file is compared on both sides, content,
// metadata and xattrs, so a copy that differs in any of them still fails verification.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LiveHost } from "../../src/host/live-host.js";
import { DIRECT_FROM, DirectCheck, directCandidate } from "../../src/migrate/direct.js";
import { PodmanTarget } from "../../src/migrate/podman.js";

const big = (seed: number) => {
  const b = Buffer.alloc(DIRECT_FROM + 4096);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b;
};

/** Two identical trees: two large files, a small one, a large one in a folder. */
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function pair(): { a: string; b: string; paths: string[] } {
  const root = mkdtempSync(path.join(os.tmpdir(), "pl12-direct-"));
  roots.push(root);
  const paths = ["large one", "sub/large[2]*"];
  for (const side of ["a", "b"]) {
    const dir = path.join(root, side);
    mkdirSync(path.join(dir, "sub"), { recursive: true });
    writeFileSync(path.join(dir, "large one"), big(1));
    writeFileSync(path.join(dir, "sub/large[2]*"), big(2));
    writeFileSync(path.join(dir, "small"), "x");
    // An unlisted file whose name ends like a listed one: --anchored keeps it in the tar.
    writeFileSync(path.join(dir, "sub/large one"), "y");
    for (const p of [...paths, "small", "sub/large one"])
      utimesSync(path.join(dir, p), 1700000000, 1700000000.5);
  }
  return { a: path.join(root, "a"), b: path.join(root, "b"), paths };
}

async function check(a: string, b: string, paths: string[]) {
  const direct = await DirectCheck.of(new LiveHost(), paths);
  if (!direct) throw new Error("getfattr is needed for this test");
  const found: string[] = [];
  await direct.run(a, b, (p, problem) => found.push(`${p}: ${problem}`));
  return { direct, found };
}

describe("direct comparison of large files", () => {
  it("lists only large, plain, singly linked files with names tar and getfattr keep as they are", () => {
    expect(directCandidate("f", "data/blob.bin", DIRECT_FROM, DIRECT_FROM, 1)).toBe(true);
    expect(directCandidate("f", "small", DIRECT_FROM - 1, DIRECT_FROM, 1)).toBe(false);
    expect(directCandidate("f", "sparse", DIRECT_FROM * 4, DIRECT_FROM, 1)).toBe(false);
    expect(directCandidate("f", "linked", DIRECT_FROM, DIRECT_FROM, 2)).toBe(false);
    expect(directCandidate("d", "dir", DIRECT_FROM, DIRECT_FROM, 1)).toBe(false);
    for (const odd of ["new\nline", "back\\slash", "trailing ", "tab\t", "caf\u00e9", "del\u007f"])
      expect(directCandidate("f", odd, DIRECT_FROM, DIRECT_FROM, 1)).toBe(false);
  });

  it("finds no difference between a file and its exact copy, and tar leaves exactly the listed files out", async () => {
    const { a, b, paths } = pair();
    const { direct, found } = await check(a, b, paths);
    expect(found).toEqual([]);
    // The argv verification runs: GNU tar's options are positional.
    const [tar, ...args] = PodmanTarget.archiveArgv(a, true, direct.excludeArgs()) as [string, ...string[]];
    const listed = execFileSync(tar, args, { maxBuffer: 64 * 1024 * 1024 })
      .toString("latin1")
      .match(/\.\/[^\0]*/g);
    expect(listed).toContain("./small");
    expect(listed).toContain("./sub/large one");
    expect(listed).not.toContain("./large one");
    expect(listed).not.toContain("./sub/large[2]*");
    direct.close();
  });

  it("names every way a listed file of the copy differs: content, mode, mtime, size, xattrs, link count, type, absence", async () => {
    const { a, b, paths } = pair();
    const flipped = big(1);
    flipped[DIRECT_FROM + 1] = (flipped[DIRECT_FROM + 1] as number) ^ 1;
    writeFileSync(path.join(b, "large one"), flipped);
    utimesSync(path.join(b, "large one"), 1700000000, 1700000000.5);
    let { found } = await check(a, b, paths);
    expect(found).toEqual([`large one: content differs from byte ${DIRECT_FROM + 1}`]);

    chmodSync(path.join(b, "large one"), 0o600);
    utimesSync(path.join(b, "large one"), 1700000000, 1700000001);
    truncateSync(path.join(b, "sub/large[2]*"), DIRECT_FROM);
    ({ found } = await check(a, b, paths));
    expect(found).toContain("large one: mode: source 420, target 384");
    expect(found).toContain("large one: mtime: source 1700000000, target 1700000001");
    expect(found).toContain(`sub/large[2]*: size: source ${DIRECT_FROM + 4096}, target ${DIRECT_FROM}`);

    const { a: a2, b: b2, paths: p2 } = pair();
    execFileSync("setfattr", ["-n", "user.note", "-v", "hi", path.join(b2, "large one")]);
    linkSync(path.join(b2, "sub/large[2]*"), path.join(b2, "extra-link"));
    ({ found } = await check(a2, b2, p2));
    expect(found).toContain("large one: xattrs: source none, target user.note");
    expect(found).toContain("sub/large[2]*: links: source 1, target 2");

    const { a: a3, b: b3, paths: p3 } = pair();
    rmSync(path.join(b3, "large one"));
    symlinkSync("small", path.join(b3, "large one"));
    rmSync(path.join(b3, "sub/large[2]*"));
    ({ found } = await check(a3, b3, p3));
    // Files are compared side by side: their findings come in either order.
    expect(found.sort()).toEqual(["large one: target a symlink", "sub/large[2]*: missing in the target"]);
  });

  it("compares xattrs by value, whatever order they were set in", async () => {
    const { a, b, paths } = pair();
    const set = (dir: string, name: string, value: string) =>
      execFileSync("setfattr", ["-n", name, "-v", value, path.join(dir, "large one")]);
    set(a, "user.one", "1");
    set(a, "user.two", "2");
    set(b, "user.two", "2");
    set(b, "user.one", "1");
    expect((await check(a, b, paths)).found).toEqual([]);
    set(b, "user.two", "3");
    expect((await check(a, b, paths)).found).toEqual([
      "large one: xattrs: source user.one,user.two, target user.one,user.two",
    ]);
  });
});
