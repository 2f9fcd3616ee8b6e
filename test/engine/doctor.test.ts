import { describe, expect, it } from "vitest";
import { checks } from "../../checks/index.js";
import { runDoctor, selectChecks } from "../../src/doctor/doctor.js";
import { exitCodeFor } from "../../src/doctor/exit-code.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import type { Check, Finding } from "../../src/doctor/types.js";
import { UsageError } from "../../src/errors.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { HOSTS } from "../helpers.js";

const finding = (status: Finding["status"]): Finding => ({ code: `t.${status}`, status, message: status });
const fake = (id: string, run: Check["run"], applies: Check["applies"] = () => true): Check => ({
  id,
  title: id,
  docs: `docs/checks/${id}.md`,
  applies,
  run,
});

async function doctor(list: Check[], extra: Partial<Parameters<typeof runDoctor>[0]> = {}) {
  const host = new FixtureHost(`${HOSTS}/fedora-40-rootless`);
  return runDoctor({
    checks: list,
    host,
    facts: await gatherFacts(host),
    version: "test",
    timeoutMs: 300,
    ...extra,
  });
}

describe("runDoctor", () => {
  it("runs checks concurrently: three 200 ms checks take well under 600 ms", async () => {
    const slow = (id: string) =>
      fake(id, () => new Promise((r) => setTimeout(() => r([finding("pass")]), 200)));
    const started = Date.now();
    const result = await doctor([slow("a"), slow("b"), slow("c")]);
    expect(Date.now() - started).toBeLessThan(500);
    expect(result.summary.pass).toBe(3);
  });

  it("turns a throw into error for that check alone", async () => {
    const result = await doctor([
      fake("boom", async () => {
        throw new Error("kaput");
      }),
      fake("fine", async () => [finding("pass")]),
    ]);
    expect(result.checks.map((c) => c.status)).toEqual(["error", "pass"]);
    expect(result.checks[0]?.error).toBe("kaput");
    expect(result.exitCode).toBe(3);
  });

  it("turns a hang into error with the timeout in the evidence, and the run still ends", async () => {
    const result = await doctor([fake("hang", () => new Promise(() => {}))], { timeoutMs: 100 });
    expect(result.checks[0]?.status).toBe("error");
    expect(result.checks[0]?.findings[0]?.evidence).toEqual({ timeoutMs: 100 });
  });

  it("records why a check was skipped: does not apply, --skip, or the config file", async () => {
    const result = await doctor(
      [
        fake(
          "na",
          async () => [],
          () => "no GPU here",
        ),
        fake("cli", async () => []),
        fake("cfg", async () => []),
      ],
      { skip: ["cli"], configSkips: { cfg: "no GPUs in this fleet" } },
    );
    expect(result.checks.map((c) => c.skipReason)).toEqual([
      "no GPU here",
      "skipped with --skip",
      "skipped by config: no GPUs in this fleet",
    ]);
  });

  it("stops on interrupt with exit 130", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await doctor([fake("hang", () => new Promise(() => {}))], {
      interrupt: controller.signal,
      timeoutMs: 5000,
    });
    expect(result.exitCode).toBe(130);
    expect(result.interrupted).toBe(true);
  });

  it("rejects unknown ids in --only and --skip as a usage error", () => {
    expect(() => selectChecks(checks, ["subuid-ranges", "nope"])).toThrow(UsageError);
    expect(selectChecks(checks, ["canary"]).map((c) => c.id)).toEqual(["canary"]);
  });

  it("gives a fixture run of every real check a complete result", async () => {
    const result = await doctor([...checks], { timeoutMs: 5000 });
    expect(result.checks).toHaveLength(checks.length);
    expect(result.summary.error).toBe(0);
  });
});

describe("exit codes", () => {
  const s = (o: Partial<Record<"pass" | "warn" | "fail" | "skip" | "error", number>>) => ({
    pass: 0,
    warn: 0,
    fail: 0,
    skip: 0,
    error: 0,
    ...o,
  });
  it("follows the README's contract", () => {
    expect(exitCodeFor(s({ pass: 3, warn: 2 }), "fail", false)).toBe(0);
    expect(exitCodeFor(s({ warn: 1 }), "warn", false)).toBe(1);
    expect(exitCodeFor(s({ fail: 1, error: 1 }), "fail", false)).toBe(1);
    expect(exitCodeFor(s({ error: 1, warn: 1 }), "warn", false)).toBe(3);
    expect(exitCodeFor(s({ fail: 1 }), "fail", true)).toBe(130);
  });
});
