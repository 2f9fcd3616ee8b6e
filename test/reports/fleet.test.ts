// podlift report merge: many doctor reports into one fleet answer (text, JSON, HTML); files that
// are not doctor reports are set aside, never fatal; the HTML page renders in a real browser.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fleetText, mergeReports } from "../../reports/fleet.js";
import { fleetHtml } from "../../reports/fleet-html.js";
import type { CheckResult, CheckStatus, Finding, RunResult } from "../../src/doctor/types.js";
import { countColour, decodePng } from "../png.js";
import { validateFleetReport, validateReport } from "../schema.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");

/** A schema-valid doctor report of host `name` with these checks' findings. */
function report(
  name: string | null,
  checks: Record<string, Finding[] | "skip" | "error">,
  startedAt = "2026-11-23T10:00:00.000Z",
): RunResult {
  const results: CheckResult[] = Object.entries(checks).map(([id, found]) => {
    const status: CheckStatus =
      found === "skip" || found === "error"
        ? found
        : found.some((f) => f.status === "fail")
          ? "fail"
          : found.some((f) => f.status === "warn")
            ? "warn"
            : "pass";
    return {
      id,
      title: `the ${id} check`,
      docs: `docs/checks/${id}.md`,
      status,
      findings: Array.isArray(found) ? found : [],
      durationMs: 1,
      ...(found === "error" ? { error: "timed out" } : found === "skip" ? { skipReason: "no" } : {}),
    };
  });
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const c of results) summary[c.status]++;
  return {
    schemaVersion: 1,
    kind: "doctor",
    tool: { name: "podlift", version: "0.1.0" },
    startedAt,
    durationMs: 10,
    host: {
      name,
      root: "/",
      platform: "linux",
      os: { id: "debian", idLike: [], versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)" },
      kernel: "6.1.0",
      arch: "x64",
      virtualization: null,
      runningAsRoot: true,
      targetUser: { name: "alice", uid: 1000, source: "flag" },
      rootful: false,
    },
    options: { failOn: "fail", timeoutMs: 10000, only: [], skip: [] },
    checks: results,
    summary,
    exitCode: summary.fail > 0 ? 1 : summary.error > 0 ? 3 : 0,
    interrupted: false,
  };
}

const fail = (code: string, fixes?: string[]): Finding => ({
  code,
  status: "fail",
  message: `${code} failed`,
  remedy: `repair ${code}`,
  ...(fixes ? { fixes } : {}),
});
const pass = (code: string): Finding => ({ code, status: "pass", message: `${code} fine` });

const FLEET = [
  report("ci-1", { "subuid-ranges": [pass("subuid.ok")], canary: [pass("canary.ok")] }),
  report("ci-2", {
    "subuid-ranges": [fail("subuid.missing", ["subid-ranges"])],
    canary: [pass("canary.ok")],
  }),
  report("gpu-1", {
    "subuid-ranges": [fail("subuid.missing", ["subid-ranges"])],
    "cdi-specs": [fail("cdi.stale")],
    canary: [pass("canary.ok")],
  }),
  report("gpu-2", { "subuid-ranges": [pass("subuid.ok")], canary: "error" }),
];

describe("merging reports", () => {
  it("says which hosts are ready, blocked or incomplete, and what blocks them most", () => {
    const inputs = FLEET.map((r, i) => ({ file: `r${i}.json`, report: r }));
    for (const { report: r } of inputs) expect(validateReport(r)).toBe(true);
    const merged = mergeReports(inputs, [], "0.1.0");
    expect(validateFleetReport(merged)).toBe(true);
    expect(merged.summary).toEqual({ hosts: 4, ready: 1, blocked: 2, incomplete: 1, rejected: 0 });
    expect(merged.hosts.map((h) => `${h.name}:${h.state}`)).toEqual([
      "ci-2:blocked",
      "gpu-1:blocked",
      "gpu-2:incomplete",
      "ci-1:ready",
    ]);
    expect(merged.blocking[0]).toMatchObject({
      code: "subuid.missing",
      hosts: 2,
      hostNames: ["ci-2", "gpu-1"],
    });
    // subid-ranges clears ci-2 (its only blocker) and helps gpu-1 (which also has a stale CDI spec).
    expect(merged.fixes).toEqual([{ id: "subid-ranges", clears: 1, helps: 2, hostNames: ["ci-2", "gpu-1"] }]);
    expect(merged.checks.find((c) => c.id === "canary")?.counts).toEqual({
      pass: 3,
      warn: 0,
      fail: 0,
      skip: 0,
      error: 1,
    });
  });

  it("one report per host: an older one is set aside; a report without a name is named by its file", () => {
    const merged = mergeReports(
      [
        {
          file: "new.json",
          report: report("web", { canary: [pass("canary.ok")] }, "2026-11-23T12:00:00.000Z"),
        },
        {
          file: "old.json",
          report: report("web", { canary: [fail("canary.failed")] }, "2026-11-22T12:00:00.000Z"),
        },
        { file: "/x/unnamed-host.json", report: report(null, { canary: [pass("canary.ok")] }) },
      ],
      [],
      "0.1.0",
    );
    expect(merged.hosts.map((h) => `${h.name}:${h.state}`)).toEqual(["unnamed-host:ready", "web:ready"]);
    expect(merged.rejected).toEqual([
      { file: "old.json", reason: "an older report of host web than new.json" },
    ]);
  });

  it("host-derived text is data: no terminal escapes in text, no markup in HTML", () => {
    const hostile = report("evil\u001b[2J<script>alert(1)</script>", { canary: [fail("canary.failed")] });
    const merged = mergeReports([{ file: "e.json", report: hostile }], [], "0.1.0");
    expect(fleetText(merged)).not.toContain("\u001b");
    const html = fleetHtml(merged);
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});

function podlift(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CI: "true" } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

describe("podlift report merge", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-fleet-"));
  for (const [i, r] of FLEET.entries()) writeFileSync(path.join(dir, `host-${i}.json`), JSON.stringify(r));
  writeFileSync(path.join(dir, "foreign.json"), JSON.stringify({ hello: "world" }));
  writeFileSync(path.join(dir, "broken.json"), "{ not json");
  execFileSync("mkfifo", [path.join(dir, "pipe.json")]);

  it("merges a folder; a foreign, a broken and a FIFO file are set aside with the reason, never fatal", async () => {
    const r = await podlift(["report", "merge", dir, "--format", "json"]);
    const merged = JSON.parse(r.stdout);
    expect(validateFleetReport(merged)).toBe(true);
    expect(merged.summary).toMatchObject({ hosts: 4, ready: 1, blocked: 2, incomplete: 1, rejected: 3 });
    const reasons = Object.fromEntries(
      merged.rejected.map((x: { file: string; reason: string }) => [path.basename(x.file), x.reason]),
    );
    expect(reasons["foreign.json"]).toContain("not a podlift doctor report");
    expect(reasons["broken.json"]).toContain("not JSON");
    expect(reasons["pipe.json"]).toContain("FIFO");
    expect(r.code).toBe(1);
    const text = await podlift(["report", "merge", dir]);
    expect(text.stdout).toMatch(/4 hosts — 1 ready, 2 blocked, 1 incomplete/);
    expect(text.stdout).toMatch(/2 hosts\s+subuid\.missing/);
  });

  it("exits 0 when every host is ready, 2 for a path that is not there", async () => {
    const ready = mkdtempSync(path.join(os.tmpdir(), "podlift-fleet-ready-"));
    writeFileSync(path.join(ready, "a.json"), JSON.stringify(FLEET[0]));
    expect((await podlift(["report", "merge", path.join(ready, "a.json")])).code).toBe(0);
    const missing = await podlift(["report", "merge", path.join(ready, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file or folder");
  });

  const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  it.skipIf(!chromium && !process.env.PODLIFT_REQUIRE_LIVE)(
    "the HTML page renders its matrix in headless Chromium, offline, coloured by status",
    async () => {
      const out = path.join(dir, "out");
      mkdirSync(out);
      const page = path.join(out, "fleet.html");
      const r = await podlift(["report", "merge", dir, "--format", "html", "-o", page]);
      expect(r.stderr).toContain("html fleet report written");
      const html = readFileSync(page, "utf8");
      expect(html).not.toMatch(/(src|href)="https?:/);
      const shot = path.join(out, "fleet.png");
      execFileSync(
        chromium as string,
        [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          `--user-data-dir=${path.join(out, "profile")}`,
          "--window-size=1000,900",
          `--screenshot=${shot}`,
          `file://${page}`,
        ],
        { stdio: "ignore", timeout: 60000 },
      );
      const image = decodePng(readFileSync(shot));
      expect(image.width).toBe(1000);
      // The fail cells (#fbd5d5) and pass cells (#d9f2df) are there: the matrix rendered.
      expect(countColour(image, "#fbd5d5")).toBeGreaterThan(500);
      expect(countColour(image, "#d9f2df")).toBeGreaterThan(500);
    },
    90000,
  );
});
