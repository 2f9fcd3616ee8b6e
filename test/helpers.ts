// Test helpers: run one check, through the real engine, against a fixture host.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseCompose } from "../src/compose/info.js";
import { gatherFacts } from "../src/doctor/facts.js";
import { runCheck } from "../src/doctor/runner.js";
import type { Check, CheckResult, Finding } from "../src/doctor/types.js";
import { FixtureHost, type FixtureSpec } from "../src/host/fixture-host.js";

export const HOSTS = path.join(import.meta.dirname, "fixtures", "hosts");

export interface CheckRun extends CheckResult {
  host: FixtureHost;
  codes: string[];
  find(code: string): Finding;
}

export async function runOn(
  check: Check,
  scenario: string,
  options: { spec?: FixtureSpec; user?: string; ports?: number[]; compose?: string; timeoutMs?: number } = {},
): Promise<CheckRun> {
  const root = path.isAbsolute(scenario) ? scenario : path.join(HOSTS, scenario);
  const host = new FixtureHost(root, options.spec);
  const composeText = options.compose ? await host.fs.readFile(options.compose) : null;
  const compose = composeText === null ? null : parseCompose(composeText, options.compose as string);
  const facts = await gatherFacts(host, { user: options.user, ports: options.ports, compose });
  const result = await runCheck(check, host, facts, options.timeoutMs ?? 5000);
  return {
    ...result,
    host,
    codes: result.findings.map((f) => f.code),
    find(code) {
      const f = result.findings.find((x) => x.code === code);
      if (!f) throw new Error(`no finding ${code}; got ${result.findings.map((x) => x.code).join(", ")}`);
      return f;
    },
  };
}

/** A throwaway host tree for broken-input cases: files by host path, plus a fixture spec. */
export function tempHost(files: Record<string, string | Buffer>, spec: FixtureSpec = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "podlift-test-"));
  for (const [p, content] of Object.entries(files)) {
    const full = path.join(root, p);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  writeFileSync(path.join(root, "podlift-fixture.json"), JSON.stringify(spec));
  return root;
}

export const USER = { name: "alice", uid: 1000, gid: 1000, home: "/home/alice", shell: "/bin/bash" };
export const PASSWD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n";

/** A private copy of a fixture scenario, for tests that write (fix apply, undo). */
export function scratchCopy(scenario: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), `podlift-scratch-${scenario}-`));
  cpSync(path.join(HOSTS, scenario), root, { recursive: true });
  return root;
}

/**
 * Tests that run `podlift fix`, `undo` or `compose fix` on the live root share one journal lock
 * (/var/lib/podlift/lock), and podlift refuses a second run at once, by design: test files that
 * run in parallel workers take turns through this lock folder instead. Returns the release.
 */
export async function liveJournalTurn(timeoutMs = 240000): Promise<() => void> {
  const dir = path.join(os.tmpdir(), "podlift-test-live-journal.lock");
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, "pid"), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch {
      // A worker that died holding it: its pid is gone, the turn is free. (No pid yet: just taken.)
      let alive = true;
      try {
        process.kill(Number(readFileSync(path.join(dir, "pid"), "utf8")), 0);
      } catch (error) {
        alive = (error as NodeJS.ErrnoException).code !== "ESRCH";
      }
      if (!alive) rmSync(dir, { recursive: true, force: true });
      if (Date.now() - started > timeoutMs)
        throw new Error(`no turn on the live journal within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * A fixture host's recorded calls with the canary's per-run container name and label taken out
 * (`--name podlift-canary-<random> --label io.podlift.canary=true`), for comparing whole argvs.
 */
export function unnamedCalls(host: { calls: { argv: readonly string[]; user?: string }[] }) {
  return host.calls.map((c) => {
    const at = c.argv.indexOf("--name");
    const named = at >= 0 && /^podlift-canary-/.test(c.argv[at + 1] ?? "") && c.argv[at + 2] === "--label";
    return named ? { ...c, argv: [...c.argv.slice(0, at), ...c.argv.slice(at + 4)] } : c;
  });
}

/** bin/podlift.js, as `npm link` installs it. */
export const PODLIFT_BIN = path.join(import.meta.dirname, "..", "bin", "podlift.js");

/** Runs podlift with CI=true and no terminal; its exit code (-1 when killed) and output. */
export function runPodlift(
  args: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PODLIFT_BIN, ...args],
      { env: { ...process.env, CI: "true", ...options.env }, timeout: options.timeoutMs ?? 120000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}
