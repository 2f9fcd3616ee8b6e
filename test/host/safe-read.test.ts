import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readRegularFile, readRegularText, UnreadableFileError } from "../../src/host/safe-read.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-safe-read-"));
const at = (name: string) => path.join(dir, name);

async function kindOf(p: string, maxBytes?: number): Promise<string> {
  try {
    await readRegularFile(p, { maxBytes });
    return "read";
  } catch (error) {
    if (error instanceof UnreadableFileError) return error.kind;
    throw error;
  }
}

describe("readRegularFile", () => {
  it("reads a regular file and answers null for an absent one", async () => {
    writeFileSync(at("plain"), "alice:100000:65536\n");
    expect(await readRegularText(at("plain"))).toBe("alice:100000:65536\n");
    expect(await readRegularFile(at("absent"))).toBeNull();
    expect(await readRegularFile(at("plain/below-a-file"))).toBeNull();
  });

  it("reads /proc files, whose size says 0, to their end", async () => {
    const text = await readRegularText("/proc/self/status");
    expect(text).toMatch(/^Name:/);
  });

  it("refuses a FIFO at once instead of blocking a worker thread", async () => {
    execFileSync("mkfifo", [at("fifo")]);
    const started = Date.now();
    expect(await kindOf(at("fifo"))).toBe("fifo");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("refuses a character device (a link to /dev/zero) instead of reading without end", async () => {
    symlinkSync("/dev/zero", at("zero"));
    expect(await kindOf(at("zero"))).toBe("char");
  });

  it("refuses a folder, a symlink loop and a file over the bound", async () => {
    mkdirSync(at("folder.json"));
    symlinkSync(at("loop-b"), at("loop-a"));
    symlinkSync(at("loop-a"), at("loop-b"));
    writeFileSync(at("big"), Buffer.alloc(2048, 0x61));
    expect(await kindOf(at("folder.json"))).toBe("dir");
    expect(await kindOf(at("loop-a"))).toBe("loop");
    expect(await kindOf(at("big"), 1024)).toBe("too-large");
    expect(await kindOf(at("big"), 4096)).toBe("read");
  });

  it("names the host path, not the real one, in its message", async () => {
    await expect(readRegularFile(at("fifo"), { displayPath: "/etc/subuid" })).rejects.toThrow(
      "/etc/subuid is a FIFO (named pipe), expected a regular file",
    );
  });
});
