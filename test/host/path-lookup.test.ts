// A PATH folder on a hung file system (a dead NFS or automount) must never take all of Node's
// pool threads: each folder gets one lookup at a time and a second to answer, then is asked
// nothing more, and the program is left to spawn's own lookup. A stuck stat cannot be made on
// demand here, so node:fs/promises' lstat is replaced: one folder never answers.
import { beforeEach, describe, expect, it, vi } from "vitest";

const calls: string[] = [];
vi.mock("node:fs/promises", async (original) => {
  const real = await original<typeof import("node:fs/promises")>();
  return {
    ...real,
    lstat: (file: string) => {
      calls.push(file);
      if (file.startsWith("/hung/")) return new Promise(() => {}); // never answers
      if (file === "/fast/there") return Promise.resolve({});
      return Promise.reject(Object.assign(new Error("ENOENT"), { code: "ENOENT" }));
    },
  };
});

const { absentFromPath } = await import("../../src/host/live-host.js");

beforeEach(() => {
  calls.length = 0;
});

describe("absentFromPath with a PATH folder that never answers", () => {
  it("answers 'not known absent' after a second, and never asks that folder twice", async () => {
    const started = performance.now();
    // three lookups at once: only one lstat reaches the hung folder
    const answers = await Promise.all([
      absentFromPath("a", "/fast:/hung"),
      absentFromPath("b", "/fast:/hung"),
      absentFromPath("c", "/fast:/hung"),
    ]);
    expect(answers).toEqual([false, false, false]); // spawn decides
    expect(performance.now() - started).toBeLessThan(3000);
    expect(calls.filter((c) => c.startsWith("/hung/"))).toEqual(["/hung/a"]);
    // later lookups: the folder is known slow, asked nothing, and the answer is at once
    const t = performance.now();
    expect(await absentFromPath("d", "/fast:/hung")).toBe(false);
    expect(performance.now() - t).toBeLessThan(500);
    expect(calls.filter((c) => c.startsWith("/hung/"))).toEqual(["/hung/a"]);
  });

  it("folders that answer still say absent or there", async () => {
    expect(await absentFromPath("missing", "/fast:/other")).toBe(true);
    expect(await absentFromPath("there", "/fast:/other")).toBe(false);
  });
});
