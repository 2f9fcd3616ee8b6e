// The compose check's report goes through the doctor's writers: JSON with schemaVersion that the
// compose schema validates, JUnit with a testcase per rule, text with file:line:col, --output.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateComposeReport } from "../schema.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const DIR = path.join(import.meta.dirname, "..", "fixtures", "compose");

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [BIN, "compose", "check", ...args],
      { cwd: DIR, env: { ...process.env, CI: "true", ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

describe("compose check reports", () => {
  it("JSON: schemaVersion 1, kind compose, each rule a check, valid against the schema", async () => {
    const r = await run(["jupyterhub/docker-compose.yml", "--format", "json"]);
    const report = JSON.parse(r.stdout);
    const valid = validateComposeReport(report);
    expect(validateComposeReport.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(report).toMatchObject({ schemaVersion: 1, kind: "compose", tool: { name: "podlift" } });
    const socket = report.checks.find((c: { id: string }) => c.id === "engine-socket");
    expect(socket.status).not.toBe("pass");
    expect(socket.findings[0]).toMatchObject({ code: "compose.docker-socket", service: "hub" });
    // The flat list and the per-rule lists hold the same findings.
    const perRule = report.checks.flatMap((c: { findings: unknown[] }) => c.findings).length;
    expect(report.findings.length).toBe(perRule);
    expect(r.code).toBe(report.exitCode);
    const counted = Object.values(report.summary as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(counted).toBe(report.checks.length);
  });

  it("the schema can fail: a finding without a position is refused", async () => {
    const r = await run(["jupyterhub/docker-compose.yml", "--format", "json"]);
    const report = JSON.parse(r.stdout);
    delete report.findings[0].at;
    expect(validateComposeReport(report)).toBe(false);
  });

  it("JUnit: one testcase per rule; a failing rule's failure names file:line:col", async () => {
    const r = await run(["jupyterhub/docker-compose.yml", "--format", "junit", "--fail-on", "warn"]);
    expect(r.stdout).toContain('<testsuite name="podlift compose check');
    expect(r.stdout).toContain('classname="podlift.engine-socket"');
    expect(r.stdout).toMatch(/<failure [^>]*type="compose\.docker-socket"/);
    expect(r.stdout).toMatch(/docker-compose\.yml:8:\d+ \[hub\] compose\.docker-socket/);
    expect(r.code).toBe(1);
  });

  it("--output writes the JSON report and still prints the text one", async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "podlift-compose-report-")), "r.json");
    const r = await run(["jupyterhub/docker-compose.yml", "--format", "json", "-o", out]);
    expect(validateComposeReport(JSON.parse(readFileSync(out, "utf8")))).toBe(true);
    expect(r.stdout).toMatch(/docker-compose\.yml:8:\d+ \[hub\] mounts Docker's socket/);
    expect(r.stderr).toContain("json report written to");
  });

  it("--verbose lists the rules that did not run, with the reason", async () => {
    const none = `unix://${path.join(os.tmpdir(), "podlift-no-such-docker.sock")}`;
    const r = await run(["broken/compose.yaml", "--verbose"], { DOCKER_HOST: none });
    expect(r.stdout).toContain("compose.yaml-invalid");
    // No engine answers at DOCKER_HOST: the volume rule says it did not run, and why.
    expect(r.stdout).toMatch(/- volumes-in-docker: not run: no Docker engine answered/);
  });
});
