// The one writer never damages what sits at the target: `--output /dev/null` once deleted the
// host's /dev/null. Each case builds its own tree.
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkOutputTarget, OutputError, writeFileAtomic } from "../../src/host/atomic.js";
import { LiveHost } from "../../src/host/live-host.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-output-"));
const at = (name: string) => path.join(dir, name);

async function failure(p: string): Promise<{ usage: boolean; message: string }> {
  try {
    await writeFileAtomic(p, "report\n");
  } catch (error) {
    if (error instanceof OutputError) return { usage: error.usage, message: error.message };
    throw error;
  }
  throw new Error(`writing ${p} succeeded`);
}

describe("writeFileAtomic", () => {
  it("writes through a character device and leaves it a device", async () => {
    execFileSync("mknod", [at("null"), "c", "1", "3"]);
    await writeFileAtomic(at("null"), "report\n");
    expect(lstatSync(at("null")).isCharacterDevice()).toBe(true);
    await writeFileAtomic("/dev/null", "report\n");
    expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
  });

  it("refuses a FIFO with no reader at once, and feeds one that has a reader", async () => {
    execFileSync("mkfifo", [at("fifo")]);
    const started = Date.now();
    expect(await failure(at("fifo"))).toEqual({
      usage: false,
      message: `cannot write ${at("fifo")}: it is a FIFO and nothing is reading from it`,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    const reader = spawn("cat", [at("fifo")]);
    let got = "";
    reader.stdout.on("data", (d) => {
      got += d;
    });
    const closed = new Promise((r) => reader.on("close", r));
    await new Promise((r) => setTimeout(r, 200));
    const big = "x".repeat(300_000); // larger than a pipe's buffer: partial writes are retried
    await writeFileAtomic(at("fifo"), big);
    await closed;
    expect(got.length).toBe(big.length);
    expect(lstatSync(at("fifo")).isFIFO()).toBe(true);
  });

  it("follows a symlink to its target and keeps the link", async () => {
    writeFileSync(at("real.json"), "old");
    symlinkSync(at("real.json"), at("link.json"));
    await writeFileAtomic(at("link.json"), "new");
    expect(lstatSync(at("link.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(at("real.json"), "utf8")).toBe("new");
  });

  it("creates the target of a dangling symlink", async () => {
    symlinkSync("dangling-target.json", at("dangling.json"));
    await writeFileAtomic(at("dangling.json"), "made");
    expect(readlinkSync(at("dangling.json"))).toBe("dangling-target.json");
    expect(readFileSync(at("dangling-target.json"), "utf8")).toBe("made");
  });

  it("keeps an existing report's owner and mode (another user's 0640 file stays theirs)", async () => {
    writeFileSync(at("theirs.json"), "old");
    chownSync(at("theirs.json"), 65534, 65534);
    chmodSync(at("theirs.json"), 0o640);
    await writeFileAtomic(at("theirs.json"), "new", { mode: 0o644 });
    const s = statSync(at("theirs.json"));
    expect({ uid: s.uid, gid: s.gid, mode: s.mode & 0o777 }).toEqual({ uid: 65534, gid: 65534, mode: 0o640 });
    expect(readFileSync(at("theirs.json"), "utf8")).toBe("new");
  });

  it("forces a mode only when asked (a bundle is always 0600)", async () => {
    writeFileSync(at("bundle.tgz"), "old");
    chmodSync(at("bundle.tgz"), 0o644);
    await writeFileAtomic(at("bundle.tgz"), "new", { mode: 0o600, forceMode: true });
    expect(statSync(at("bundle.tgz")).mode & 0o777).toBe(0o600);
  });

  it("rewrites a hard-linked file in place, so its links stay one file", async () => {
    writeFileSync(at("a.json"), "old");
    linkSync(at("a.json"), at("b.json"));
    await writeFileAtomic(at("a.json"), "new and longer");
    expect(readFileSync(at("b.json"), "utf8")).toBe("new and longer");
    expect(statSync(at("a.json")).ino).toBe(statSync(at("b.json")).ino);
  });

  it("refuses a block device, a socket-like special and a folder, as usage errors", async () => {
    execFileSync("mknod", [at("disk"), "b", "7", "200"]);
    mkdirSync(at("folder"));
    expect(await failure(at("disk"))).toMatchObject({
      usage: true,
      message: expect.stringContaining("block device"),
    });
    expect(await failure(at("folder"))).toMatchObject({
      usage: true,
      message: expect.stringContaining("is a folder"),
    });
    expect(lstatSync(at("disk")).isBlockDevice()).toBe(true);
  });

  it("refuses x.tgz/ (not silently x.tgz), a missing folder and an empty name", async () => {
    expect(await failure(`${at("x.tgz")}/`)).toMatchObject({
      usage: true,
      message: expect.stringContaining("names a folder"),
    });
    expect(() => statSync(at("x.tgz"))).toThrow();
    expect(await failure(at("nodir/x.tgz"))).toMatchObject({
      usage: true,
      message: expect.stringContaining("does not exist"),
    });
    expect(await failure("")).toMatchObject({ usage: true });
    await expect(checkOutputTarget(at("nodir/x.tgz"))).rejects.toThrow("does not exist");
  });

  it("says a read-only file system in one line, and is not a usage error", async () => {
    const ro = at("ro");
    mkdirSync(ro);
    execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro]);
    try {
      expect(await failure(path.join(ro, "report.json"))).toEqual({
        usage: false,
        message: `cannot write ${path.join(ro, "report.json")}: read-only file system`,
      });
    } finally {
      execFileSync("umount", [ro]);
    }
  });

  it("leaves no temporary file behind when the rename fails", async () => {
    mkdirSync(at("clean"));
    await expect(
      writeFileAtomic(at("clean/r.json"), "x", {
        beforeRename: () => {
          throw new Error("killed");
        },
      }),
    ).rejects.toThrow();
    expect(execFileSync("ls", ["-A", at("clean")], { encoding: "utf8" })).toBe("");
  });
});

describe("links someone else controls", () => {
  it("refuses a link planted by another user (a sticky /tmp), and leaves its target alone", async () => {
    writeFileSync(at("victim"), "precious");
    symlinkSync(at("victim"), at("planted.json"));
    execFileSync("chown", ["-h", "65534:65534", at("planted.json")]);
    expect(await failure(at("planted.json"))).toMatchObject({
      usage: true,
      message: expect.stringContaining("is a symbolic link owned by uid 65534"),
    });
    expect(readFileSync(at("victim"), "utf8")).toBe("precious");
  });

  it("replaces a regular file under /dev/shm by rename, not by appending to it", async () => {
    const shm = `/dev/shm/podlift-test-${process.pid}.json`;
    writeFileSync(shm, '{"old":1}');
    await writeFileAtomic(shm, '{"new":2}');
    expect(readFileSync(shm, "utf8")).toBe('{"new":2}');
    execFileSync("rm", ["-f", shm]);
  });

  it("forces a bundle's 0600 on a hard-linked target too", async () => {
    writeFileSync(at("hb1"), "x");
    chmodSync(at("hb1"), 0o644);
    linkSync(at("hb1"), at("hb2"));
    await writeFileAtomic(at("hb1"), "secret", { mode: 0o600, forceMode: true });
    expect(statSync(at("hb2")).mode & 0o777).toBe(0o600);
  });
});

describe("the fix engine's writer", () => {
  it("refuses to write through a link a user planted in their home (~/.profile -> /etc/shadow)", async () => {
    const root = mkdtempSync(path.join(dir, "root-"));
    mkdirSync(path.join(root, "etc"));
    mkdirSync(path.join(root, "home/alice"), { recursive: true });
    writeFileSync(path.join(root, "etc/shadow"), "root:$6$secret:1::::::\n", { mode: 0o600 });
    symlinkSync("/etc/shadow", path.join(root, "home/alice/.profile"));
    execFileSync("chown", ["-h", "1000:1000", path.join(root, "home/alice/.profile")]);
    const writer = new LiveHost(root).writer();
    await expect(
      writer.writeFile("/home/alice/.profile", "export DOCKER_HOST=x\n", 0o644, { uid: 1000, gid: 1000 }),
    ).rejects.toThrow("is a symbolic link owned by uid 1000");
    const shadow = statSync(path.join(root, "etc/shadow"));
    expect({ uid: shadow.uid, mode: shadow.mode & 0o777 }).toEqual({ uid: 0, mode: 0o600 });
    expect(readFileSync(path.join(root, "etc/shadow"), "utf8")).toBe("root:$6$secret:1::::::\n");
  });

  it("keeps a symlinked /etc/subuid a link and updates its target inside --root", async () => {
    const root = mkdtempSync(path.join(dir, "root-"));
    mkdirSync(path.join(root, "etc"));
    mkdirSync(path.join(root, "usr/etc"), { recursive: true });
    writeFileSync(path.join(root, "usr/etc/subuid"), "old:100000:65536\n");
    symlinkSync("/usr/etc/subuid", path.join(root, "etc/subuid")); // absolute, as image-based distros ship it
    const writer = new LiveHost(root).writer();
    await writer.writeFile("/etc/subuid", "alice:100000:65536\n", 0o644);
    expect(readlinkSync(path.join(root, "etc/subuid"))).toBe("/usr/etc/subuid");
    expect(readFileSync(path.join(root, "usr/etc/subuid"), "utf8")).toBe("alice:100000:65536\n");
  });

  it("on the live root, follows a link to its target too", async () => {
    mkdirSync(at("live"));
    writeFileSync(at("live/target"), "old");
    symlinkSync(at("live/target"), at("live/link"));
    await new LiveHost("/").writer().writeFile(at("live/link"), "new", 0o644);
    expect(lstatSync(at("live/link")).isSymbolicLink()).toBe(true);
    expect(readFileSync(at("live/target"), "utf8")).toBe("new");
  });
});

afterAll(() => {
  execFileSync("rm", ["-rf", dir]);
});
