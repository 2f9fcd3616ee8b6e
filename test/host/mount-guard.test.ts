// A file system that stops answering must cost podlift one pool thread and a few seconds, never
// the run: one operation at a time per mount that can hang, each given a deadline, then nothing
// more asked of that mount. A dead NFS server cannot be made on demand here: the hung operation
// is a promise that never settles (the guard sees no difference), and RootedFs is driven with
// node:fs/promises' readdir replaced for one folder.
import { describe, expect, it, vi } from "vitest";

vi.mock("node:fs/promises", async (original) => {
  const real = await original<typeof import("node:fs/promises")>();
  return {
    ...real,
    readdir: (p: string, ...rest: unknown[]) =>
      p.startsWith("/srv/nfs")
        ? new Promise(() => {})
        : (real.readdir as (...a: unknown[]) => unknown)(p, ...rest),
  };
});

const { MountGuard, MountNotAnswering, parseMountinfo } = await import("../../src/host/mount-guard.js");
const { RootedFs } = await import("../../src/host/rooted-fs.js");
const { UnreadableFileError } = await import("../../src/host/safe-read.js");

const MOUNTS = [
  { point: "/", type: "ext4" },
  { point: "/srv/nfs", type: "nfs4" },
  { point: "/srv/nfs/sub", type: "nfs4" },
  { point: "/media/fuse", type: "fuse.sshfs" },
];
const never = () => new Promise<never>(() => {});

describe("MountGuard", () => {
  it("reads mount points and types from mountinfo, spaces and all", () => {
    const text = [
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
      "40 22 0:50 / /srv/my\\040share rw,relatime shared:20 - nfs4 srv:/export rw,vers=4.2",
      "41 22 0:51 / /media/fuse rw,nosuid - fuse.sshfs user@host: rw",
      "not a mountinfo line",
    ].join("\n");
    expect(parseMountinfo(text)).toEqual([
      { point: "/", type: "ext4" },
      { point: "/srv/my share", type: "nfs4" },
      { point: "/media/fuse", type: "fuse.sshfs" },
    ]);
  });

  it("finds the deepest mount a path is on", () => {
    const g = new MountGuard(() => MOUNTS);
    expect(g.mountOf("/etc/passwd")?.point).toBe("/");
    expect(g.mountOf("/srv/nfs")?.point).toBe("/srv/nfs");
    expect(g.mountOf("/srv/nfs/sub/x")?.point).toBe("/srv/nfs/sub");
    expect(g.mountOf("/srv/nfsother")?.point).toBe("/");
  });

  it("a mount that does not answer: one operation reaches it, the rest fail at once, others go on", async () => {
    const g = new MountGuard(() => MOUNTS, 200);
    const reached: string[] = [];
    const hang = (p: string) => () => {
      reached.push(p);
      return never();
    };
    const started = performance.now();
    const results = await Promise.allSettled([
      g.run("/srv/nfs/a", hang("a")),
      g.run("/srv/nfs/b", hang("b")),
      g.run("/srv/nfs/c", hang("c")),
      g.run("/etc/hostname", async () => "local"),
      g.run("/media/fuse/x", async () => "fuse answers"),
    ]);
    expect(reached).toEqual(["a"]);
    expect(
      results.slice(0, 3).every((r) => r.status === "rejected" && r.reason instanceof MountNotAnswering),
    ).toBe(true);
    expect(results[3]).toEqual({ status: "fulfilled", value: "local" });
    expect(results[4]).toEqual({ status: "fulfilled", value: "fuse answers" });
    expect(performance.now() - started).toBeLessThan(1500);
    // later: refused without being asked
    await expect(g.run("/srv/nfs/d", hang("d"))).rejects.toThrow(
      /nfs4 at \/srv\/nfs\) did not answer within 0.2 s/,
    );
    expect(reached).toEqual(["a"]);
    // another mount, even under it, is its own
    await expect(g.run("/srv/nfs/sub/y", async () => "sub")).resolves.toBe("sub");
  });

  it("local file systems are never queued or timed", async () => {
    const g = new MountGuard(() => MOUNTS, 50);
    const slowButLocal = g.run("/var/x", () => new Promise((r) => setTimeout(() => r("late"), 150)));
    await expect(slowButLocal).resolves.toBe("late");
  });

  it("an unreadable mount table guards nothing (and breaks nothing)", async () => {
    const g = new MountGuard(() => []);
    expect(g.mountOf("/srv/nfs/a")).toBeNull();
    await expect(g.run("/srv/nfs/a", async () => 1)).resolves.toBe(1);
  });
});

describe("RootedFs on a mount that does not answer", () => {
  it("reports the folder as unreadable, saying why, within the guard's deadline", async () => {
    const fs = new RootedFs("/", new MountGuard(() => MOUNTS, 200));
    const err = await fs.listDir("/srv/nfs/home/alice/.local/bin").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreadableFileError);
    expect(String((err as Error).message)).toBe(
      "/srv/nfs/home/alice/.local/bin cannot be read: its file system (nfs4 at /srv/nfs) did not answer within 0.2 s",
    );
    expect(await fs.listDir("/")).toContain("etc");
  });
});
