// The generated bad-input suite: every file podlift reads, broken every way a host can break it
// (test/safety/bad-hosts.ts builds the trees), and the doctor on each under a wall-clock limit.
// The bar: 0 crashes (no check ends as a podlift defect), 0 hangs, a report valid against the
// schema every time. A sample also goes through the built CLI, for exit codes and stdout.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checks } from "../../checks/index.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { LiveHost } from "../../src/host/live-host.js";
import { validateReport } from "../schema.js";
import { type BadHost, buildBadHosts } from "./bad-hosts.js";

const TIMEOUT_MS = 2000;
const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-bad-hosts-"));
const hosts = buildBadHosts(dir);
const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");

async function doctorOn(bad: BadHost) {
  const host = new LiveHost(bad.root, { PATH: "/usr/bin:/bin" });
  const user = bad.target === "etc/passwd" ? undefined : "alice";
  const facts = await gatherFacts(host, { user });
  return runDoctor({ checks, host, facts, version: "test", timeoutMs: TIMEOUT_MS });
}

describe("generated bad-input suite", () => {
  it(`builds at least 100 malformed host trees (${hosts.length})`, () => {
    expect(hosts.length).toBeGreaterThanOrEqual(100);
  });

  it("runs the doctor on every tree: 0 crashes, 0 hangs, a valid report each time", {
    timeout: 600_000,
  }, async () => {
    const problems: string[] = [];
    let slowest = { name: "", ms: 0 };
    for (const bad of hosts) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<"hang">((resolve) => {
        timer = setTimeout(() => resolve("hang"), TIMEOUT_MS + 1000);
      });
      try {
        const result = await Promise.race([doctorOn(bad), limit]);
        const ms = Date.now() - started;
        if (ms > slowest.ms) slowest = { name: bad.name, ms };
        if (result === "hang") {
          problems.push(`${bad.name}: no report within ${TIMEOUT_MS + 1000} ms`);
          continue;
        }
        if (!validateReport(JSON.parse(JSON.stringify(result))))
          problems.push(`${bad.name}: invalid report ${JSON.stringify(validateReport.errors?.slice(0, 2))}`);
        for (const c of result.checks) {
          if (c.status === "error")
            problems.push(`${bad.name}: ${c.id} ended in error: ${c.error ?? c.findings[0]?.message}`);
        }
      } catch (error) {
        problems.push(`${bad.name}: crashed: ${(error as Error).stack?.split("\n").slice(0, 3).join(" | ")}`);
      } finally {
        clearTimeout(timer);
      }
    }
    console.log(`bad-input suite: ${hosts.length} trees, slowest ${slowest.name} ${slowest.ms} ms`);
    expect(problems).toEqual([]);
  });

  it("the built CLI writes a report and a clean exit code for a sample of trees", {
    timeout: 120_000,
  }, async () => {
    const sample = hosts.filter((h) =>
      ["fifo", "char-device", "symlink-loop", "escapes"].includes(h.breaker),
    );
    // Two at a time, as CI's two cores allow: the point is exit codes and reports, not load.
    const outcomes: (string | null)[] = [];
    const queue = [...sample];
    const worker = async () => {
      for (let bad = queue.shift(); bad !== undefined; bad = queue.shift()) outcomes.push(await cliOn(bad));
    };
    await Promise.all([worker(), worker()]);
    expect(outcomes.filter((o) => o !== null)).toEqual([]);
  });
});

function cliOn(bad: BadHost): Promise<string | null> {
  return new Promise<string | null>((resolve) => {
    execFile(
      process.execPath,
      [BIN, "doctor", "--root", bad.root, "--format", "json", "--timeout", String(TIMEOUT_MS)],
      { env: { ...process.env, CI: "true" }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (code !== 0 && code !== 1) return resolve(`${bad.name}: exit ${String(code)}: ${stderr.trim()}`);
        try {
          if (!validateReport(JSON.parse(stdout))) return resolve(`${bad.name}: invalid report`);
        } catch {
          return resolve(`${bad.name}: stdout is not JSON: ${stdout.slice(0, 200)}`);
        }
        resolve(stderr.includes("    at ") ? `${bad.name}: stack trace: ${stderr}` : null);
      },
    );
  });
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
