import { execFileSync } from "node:child_process";
import {
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { holdSpoolFile } from "../../src/host/scratch.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "podlift-scratch-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Lets the event loop deliver the watcher's events. */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe("holdSpoolFile", () => {
  it("keeps the size of a spool file that was written and deleted between two looks", async () => {
    const held = holdSpoolFile(dir);
    try {
      expect(held.watching).toBe(true);
      expect(held.bytes()).toBe(0);
      const file = path.join(dir, "podman123");
      writeFileSync(file, "");
      await settle();
      // written after it was held, then unlinked (podman load deletes its spool when it ends)
      writeFileSync(file, Buffer.alloc(10_000));
      unlinkSync(file);
      expect(held.bytes()).toBe(10_000);
    } finally {
      held.close();
    }
  });

  it("holds a file that was there before it began, and only that one", async () => {
    writeFileSync(path.join(dir, "a"), Buffer.alloc(300));
    const held = holdSpoolFile(dir);
    try {
      writeFileSync(path.join(dir, "a"), Buffer.alloc(900));
      writeFileSync(path.join(dir, "b"), Buffer.alloc(700));
      await settle();
      expect(held.bytes()).toBe(900);
    } finally {
      held.close();
    }
  });

  it("never blocks on a FIFO and never follows a link out of the folder", async () => {
    const outside = path.join(os.tmpdir(), `podlift-scratch-outside-${process.pid}`);
    writeFileSync(outside, Buffer.alloc(5000));
    try {
      const held = holdSpoolFile(dir);
      try {
        execFileSync("mkfifo", [path.join(dir, "fifo")]);
        symlinkSync(outside, path.join(dir, "link"));
        await settle();
        expect(held.bytes()).toBe(0);
        // neither took the place of the spool, which comes after them
        writeFileSync(path.join(dir, "podman1"), Buffer.alloc(64));
        await settle();
        expect(held.bytes()).toBe(64);
      } finally {
        held.close();
      }
    } finally {
      rmSync(outside, { force: true });
    }
  });

  it("a full folder: holds one file and opens no more (its owner can fill it)", async () => {
    for (let i = 0; i < 200; i++) writeFileSync(path.join(dir, `f${i}`), Buffer.alloc(10));
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    const held = holdSpoolFile(dir);
    try {
      await settle();
      expect(held.bytes()).toBe(10);
      expect(fds() - before).toBeLessThanOrEqual(3); // the folder, the file, inotify's
    } finally {
      held.close();
    }
    expect(fds()).toBe(before);
  });

  it("a folder swapped for a link after it began: its entries are still the first folder's", async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), "podlift-scratch-elsewhere-"));
    try {
      const held = holdSpoolFile(dir);
      try {
        renameSync(dir, `${dir}.moved`);
        symlinkSync(elsewhere, dir);
        writeFileSync(path.join(elsewhere, "podman9"), Buffer.alloc(4000));
        await settle();
        expect(held.bytes()).toBe(0);
        writeFileSync(path.join(`${dir}.moved`, "podman8"), Buffer.alloc(100));
        await settle();
        expect(held.bytes()).toBe(100);
      } finally {
        held.close();
        rmSync(dir, { force: true });
        renameSync(`${dir}.moved`, dir);
      }
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("a folder that is a link (to /dev): never opened, nothing held", () => {
    const link = path.join(dir, "dev");
    symlinkSync("/dev", link);
    const held = holdSpoolFile(link);
    expect(held.watching).toBe(false);
    expect(held.bytes()).toBe(0);
    held.close();
  });

  it("a folder that is gone: holds nothing, no error", () => {
    const held = holdSpoolFile(path.join(dir, "missing"));
    expect(held.watching).toBe(false);
    expect(held.bytes()).toBe(0);
    held.close();
  });
});
