import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RootedFs } from "../../src/host/rooted-fs.js";
import { tempHost } from "../helpers.js";

describe("RootedFs", () => {
  const root = tempHost({ "run/podman/podman.sock": "x", "etc/subuid": "inside\n" });
  mkdirSync(path.join(root, "var"), { recursive: true });
  symlinkSync("/run", path.join(root, "var/run")); // absolute, as on every distribution
  symlinkSync("../../../../../../etc/passwd", path.join(root, "escape"));
  writeFileSync(path.join(root, "etc/loop-target"), "");
  symlinkSync("/loop", path.join(root, "loop"));
  const fs = new RootedFs(root);

  it("follows absolute symlinks inside the root, not on the real machine", async () => {
    expect(await fs.resolve("/var/run/podman/podman.sock")).toBe(path.join(root, "run/podman/podman.sock"));
  });

  it("never lets .. or a relative link climb out of the root", async () => {
    expect(await fs.readFile("/../../../etc/subuid")).toBe("inside\n");
    expect(await fs.resolve("/escape")).toBe(path.join(root, "etc/passwd"));
  });

  it("answers null for absent files and folders, and lists folders sorted", async () => {
    expect(await fs.readFile("/nope")).toBeNull();
    expect(await fs.listDir("/nope")).toBeNull();
    expect(await fs.stat("/etc/subuid/below-a-file")).toBeNull();
    expect(await fs.listDir("/etc")).toEqual(["loop-target", "subuid"]);
  });

  it("stops a symlink loop with an error instead of spinning", async () => {
    await expect(fs.resolve("/loop")).rejects.toThrow(/too many levels of symbolic links/);
  });

  it("lstat does not follow the last link", async () => {
    expect((await fs.stat("/var/run", false))?.type).toBe("symlink");
    expect((await fs.stat("/var/run"))?.type).toBe("dir");
  });
});
