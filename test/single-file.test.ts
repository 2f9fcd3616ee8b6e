// The single file (dist/podlift.cjs, built by scripts/build-single.mjs in the test setup) runs on
// its own: copied to an empty folder with no node_modules and no package.json beside it, it
// knows its version, explains checks from the built-in docs, and writes schema-valid reports.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import singleFormat from "../scripts/single-format.cjs";

import { validateComposeReport, validateReport } from "./schema.js";

const { decode } = singleFormat;
const ROOT = path.join(import.meta.dirname, "..");
const HOSTS = path.join(ROOT, "test", "fixtures", "hosts");
const alone = path.join(mkdtempSync(path.join(os.tmpdir(), "podlift-single-")), "podlift.cjs");
copyFileSync(path.join(ROOT, "dist", "podlift.cjs"), alone);

function run(args: string[], cwd = path.dirname(alone)) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [alone, ...args],
      { cwd, env: { ...process.env, CI: "true", DOCKER_HOST: "unix:///nonexistent/docker.sock" } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

describe("the single-file build", () => {
  it("knows its version and explains a check with no files beside it", async () => {
    const version = await run(["--version"]);
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version,
    );
    const explain = await run(["explain", "subuid-ranges"]);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toBe(readFileSync(path.join(ROOT, "docs", "checks", "subuid-ranges.md"), "utf8"));
  });

  it("carries a V8 code cache this Node accepts, and runs as well from a broken one", async () => {
    // As the head reads it: the cache in base64, the bundle as it is but for its escape.
    const bytes = readFileSync(alone);
    const { source, cachedData: cache, cacheAt } = decode(bytes);
    const script = new Script(source, { filename: alone, cachedData: cache });
    expect(script.cachedDataRejected).toBe(false);
    // Cache bytes from another build or Node: V8 rejects them, and the bundle compiles from source.
    const broken = path.join(mkdtempSync(path.join(os.tmpdir(), "podlift-single-")), "podlift.cjs");
    writeFileSync(
      broken,
      Buffer.concat([bytes.subarray(0, cacheAt), Buffer.from("AAAA"), bytes.subarray(cacheAt + 4)]),
    );
    const brokenCache = Buffer.from(`AAAA${cache.toString("base64").slice(4)}`, "base64");
    expect(new Script(source, { filename: broken, cachedData: brokenCache }).cachedDataRejected).toBe(true);
    const explain = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [broken, "explain", "canary"], (error, stdout) =>
        resolve({ code: error ? -1 : 0, stdout }),
      ),
    );
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain("# Canary container");
  });

  it("runs the doctor against a host root and writes a schema-valid report with the right exit code", async () => {
    const host = path.join(HOSTS, "no-subuid-entry");
    const r = await run(["doctor", "--root", host, "--user", "newhire", "--format", "json"]);
    const report = JSON.parse(r.stdout);
    expect(validateReport(report)).toBe(true);
    expect(r.code).toBe(report.exitCode);
    expect(report.checks.find((c: { id: string }) => c.id === "subuid-ranges").status).toBe("fail");
  });

  it("checks a compose project and exits 2 on a usage error without a stack trace", async () => {
    const project = path.join(ROOT, "test", "fixtures", "compose", "jupyterhub");
    const r = await run(["compose", "check", "docker-compose.yml", "--format", "json"], project);
    expect(validateComposeReport(JSON.parse(r.stdout))).toBe(true);
    const bad = await run(["doctor", "--only", "no-such-check"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
