import { describe, expect, it } from "vitest";
import { checks } from "../../checks/index.js";
import { writeJson, writeJunit, writeText } from "../../reports/index.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import type { RunResult } from "../../src/doctor/types.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { redactText } from "../../src/text/redact.js";
import { HOSTS } from "../helpers.js";
import { validateReport } from "../schema.js";

async function run(
  scenario: string,
  extra: Partial<Parameters<typeof runDoctor>[0]> = {},
): Promise<RunResult> {
  const host = new FixtureHost(`${HOSTS}/${scenario}`);
  return runDoctor({
    checks,
    host,
    facts: await gatherFacts(host),
    version: "9.9.9",
    timeoutMs: 5000,
    ...extra,
  });
}

describe("JSON report", () => {
  it.each([
    "fedora-40-rootless",
    "ubuntu-24.04-desktop",
    "debian-11-userns-off",
    "gpu-stale-cdi",
    "no-subuid-entry",
    "rhel-9-selinux",
  ])("validates against the schema for %s", async (scenario) => {
    const json = JSON.parse(writeJson(await run(scenario)));
    const valid = validateReport(json);
    expect(validateReport.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(json.schemaVersion).toBe(1);
    expect(json.checks).toHaveLength(checks.length);
  });

  it("rejects a report that breaks the contract (the schema can fail)", async () => {
    const json = JSON.parse(writeJson(await run("fedora-40-rootless")));
    json.checks[0].status = "maybe";
    delete json.summary;
    expect(validateReport(json)).toBe(false);
  });

  it("carries no secret from the environment into any format", async () => {
    const host = new FixtureHost(`${HOSTS}/fedora-40-rootless`, {
      env: { DOCKER_HOST: "tcp://admin:hunter2@registry.example:2376", XDG_RUNTIME_DIR: "/run/user/1000" },
    });
    const result = await runDoctor({
      checks,
      host,
      facts: await gatherFacts(host),
      version: "1",
      timeoutMs: 5000,
    });
    // Put a secret where a careless check might: an error message quoting a URL and a token.
    result.checks[0]?.findings.push({
      code: "t.secret",
      status: "warn",
      message:
        "pull failed for https://bob:s3cr3tpw@registry.example/v2 with Authorization: Bearer abcdefghijklmnop",
      evidence: { env: "REGISTRY_PASSWORD=opensesame", key: "AKIAABCDEFGHIJKLMNOP" },
    });
    for (const out of [
      writeJson(result),
      writeJunit(result),
      writeText(result, { color: false, verbose: true }),
    ]) {
      for (const secret of [
        "hunter2",
        "s3cr3tpw",
        "abcdefghijklmnop",
        "opensesame",
        "AKIAABCDEFGHIJKLMNOP",
      ]) {
        expect(out).not.toContain(secret);
      }
      expect(out).toContain("registry.example"); // the context around the secret survives
    }
  });
});

describe("redaction rules", () => {
  it.each([
    ["postgres://app:pw123@db:5432/x", "postgres://[REDACTED]@db:5432/x"],
    ["API_TOKEN=abc123 other=1", "API_TOKEN=[REDACTED] other=1"],
    ['"password": "pa ss"', '"password": "[REDACTED]"'],
    ['DB_PASSWORD: "correct horse battery"', 'DB_PASSWORD: "[REDACTED]"'],
    ["DB_PASS=hunter2 REDIS_PASS: hunter3", "DB_PASS=[REDACTED] REDIS_PASS: [REDACTED]"],
    [
      "redis-server --requirepass s3cr3t --jwt eyJhbGc",
      "redis-server --requirepass [REDACTED] --jwt [REDACTED]",
    ],
    ["bypass=1 compass=north", "bypass=1 compass=north"],
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "[REDACTED private key]"],
    ["plain text stays", "plain text stays"],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });
});

describe("JUnit report", () => {
  it("has one testcase per check, failures and skips counted, XML escaped", async () => {
    const result = await run("rhel-9-selinux");
    const first = result.checks[0];
    if (!first) throw new Error("no checks");
    first.findings.push({ code: "t.x", status: "fail", message: 'a <b> & "c" \u0001' });
    first.status = "fail";
    const xml = writeJunit(result);
    expect(xml.match(/<testcase /g)).toHaveLength(checks.length);
    expect(xml).toContain('classname="podlift.subuid-ranges"');
    const failures = result.checks.filter((c) => c.status === "fail").length;
    expect(xml).toContain(`failures="${failures}"`);
    expect(xml).toContain("a &lt;b&gt; &amp; &quot;c&quot; ");
    expect(xml).not.toContain("\u0001");
    expect((xml.match(/<skipped /g) ?? []).length).toBe(result.summary.skip);
  });

  it("counts warnings as failures only under --fail-on warn", async () => {
    const result = await run("ubuntu-24.04-desktop");
    const warnings = result.checks.filter((c) => c.status === "warn").length;
    expect(warnings).toBeGreaterThan(0);
    const strict = writeJunit({ ...result, options: { ...result.options, failOn: "warn" } });
    const fails = result.checks.filter((c) => c.status === "fail").length;
    expect(strict).toContain(`failures="${fails + warnings}"`);
  });
});

describe("text report", () => {
  it("puts problems first with their remedy, passes as one line, and a summary", async () => {
    const text = writeText(await run("no-subuid-entry"), { color: false, verbose: false });
    const lines = text.split("\n");
    expect(lines[0]).toContain("target user newhire (rootless)");
    const firstFail = lines.findIndex((l) => l.startsWith("✖"));
    const firstPass = lines.findIndex((l) => l.startsWith("✔"));
    expect(firstFail).toBeLessThan(firstPass);
    expect(text).toContain("fix: Add one: sudo usermod --add-subuids 100000-165535 newhire");
    expect(lines.at(-2)).toMatch(
      /^Summary: \d+ passed, \d+ warnings?, \d+ failed, \d+ errors?, \d+ skipped in \d+ ms — exit 1$/,
    );
    expect(text).not.toContain("\u001b[");
  });

  it("colours only when asked, and shows timing and codes when verbose", async () => {
    const result = await run("fedora-40-rootless");
    expect(writeText(result, { color: true, verbose: false })).toContain("\u001b[32m");
    const verbose = writeText(result, { color: false, verbose: true });
    expect(verbose).toMatch(/\(\d+ ms\)/);
    expect(verbose).toContain("code: subuid.ok");
  });
});
