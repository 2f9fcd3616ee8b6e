// One doctor run: select the checks, run them all at once under listr2 (which only draws
// progress), and assemble the run result that every report writer reads.
import { setMaxListeners } from "node:events";
import { UsageError } from "../errors.js";
import type { Host } from "../host/types.js";
import { exitCodeFor } from "./exit-code.js";
import { DEFAULT_TIMEOUT_MS, runCheck, skipped } from "./runner.js";
import type { Check, CheckResult, CheckStatus, Facts, RunResult } from "./types.js";

export interface DoctorOptions {
  checks: readonly Check[];
  host: Host;
  facts: Facts;
  version: string;
  only?: string[];
  skip?: string[];
  /** Checks skipped by the config file, with the reason given there. */
  configSkips?: Record<string, string>;
  failOn?: "warn" | "fail";
  timeoutMs?: number;
  /** "default" draws live progress (a terminal), "simple" logs lines, "silent" draws nothing. */
  progress?: "default" | "simple" | "silent";
  progressStream?: NodeJS.WriteStream;
  interrupt?: AbortSignal;
  /** Finding code -> ids of the fixes that address it, attached to each finding. */
  fixIndex?: Record<string, string[]>;
}

export function selectChecks(all: readonly Check[], only: string[] = [], skip: string[] = []) {
  const known = new Set(all.map((c) => c.id));
  const unknown = [...only, ...skip].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown check id: ${unknown.join(", ")} (see \`podlift checks\`)`);
  }
  return all.filter((c) => only.length === 0 || only.includes(c.id));
}

export async function runDoctor(options: DoctorOptions): Promise<RunResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const selected = selectChecks(options.checks, options.only, options.skip);
  // The config file's skip ids are held to the same rule as --skip: a typo must not silently
  // leave a check running (or a team believing one is skipped).
  const knownIds = new Set(options.checks.map((c) => c.id));
  const unknownSkips = Object.keys(options.configSkips ?? {}).filter((id) => !knownIds.has(id));
  if (unknownSkips.length > 0)
    throw new UsageError(
      `config file: unknown check id in "skip": ${unknownSkips.join(", ")} (see \`podlift checks\`)`,
    );
  // Every running check listens for the interrupt: that is by design, not a leak.
  if (options.interrupt) setMaxListeners(selected.length + 10, options.interrupt);
  const results: CheckResult[] = new Array(selected.length);
  const pending: { index: number; check: Check }[] = [];
  selected.forEach((check, index) => {
    const configReason = options.configSkips?.[check.id];
    if (options.skip?.includes(check.id)) results[index] = skipped(check, "skipped with --skip");
    else if (configReason !== undefined)
      results[index] = skipped(check, `skipped by config: ${configReason}`);
    else pending.push({ index, check });
  });
  const go = (index: number, check: Check) =>
    runCheck(check, options.host, options.facts, timeoutMs, options.interrupt).then((r) => {
      results[index] = r;
      return r;
    });

  if ((options.progress ?? "silent") === "silent") {
    await Promise.all(pending.map(({ index, check }) => go(index, check)));
  } else {
    await withProgress(pending, go, options);
  }

  if (options.fixIndex) {
    for (const r of results) {
      for (const f of r.findings) {
        const ids = f.status === "pass" ? undefined : options.fixIndex[f.code];
        if (ids && ids.length > 0) f.fixes = ids;
      }
    }
  }
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) summary[r.status]++;
  const failOn = options.failOn ?? "fail";
  const interrupted = options.interrupt?.aborted === true;
  const { facts, host } = options;
  return {
    schemaVersion: 1,
    kind: "doctor",
    tool: { name: "podlift", version: options.version },
    startedAt,
    durationMs: Math.round(performance.now() - started),
    host: {
      name: facts.hostname,
      root: host.root,
      platform: facts.platform,
      os: facts.os,
      kernel: facts.kernel,
      arch: facts.arch,
      virtualization: await facts.virtualization,
      runningAsRoot: facts.runningAsRoot,
      targetUser: { name: facts.targetUser.name, uid: facts.targetUser.uid, source: facts.targetUserSource },
      rootful: facts.rootful,
    },
    options: { failOn, timeoutMs, only: options.only ?? [], skip: options.skip ?? [] },
    checks: results,
    summary,
    exitCode: exitCodeFor(summary, failOn, interrupted),
    interrupted,
  };
}

async function withProgress(
  pending: { index: number; check: Check }[],
  go: (index: number, check: Check) => Promise<CheckResult>,
  options: DoctorOptions,
) {
  const { Listr, ListrLogger, ProcessOutput } = await import("listr2");
  const stream = options.progressStream ?? process.stderr;
  const output = new ProcessOutput(stream, stream);
  const list = new Listr(
    pending.map(({ index, check }) => ({
      title: check.title,
      task: async (_ctx: unknown, task: { title: string; skip: (m: string) => void }) => {
        const r = await go(index, check);
        if (r.status === "skip") task.skip(`${check.title}: ${r.skipReason}`);
        else task.title = `${check.title}: ${r.status}`;
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      collectErrors: false,
      renderer: options.progress === "default" ? "default" : "simple",
      fallbackRenderer: "simple",
      rendererOptions: {
        logger: new ListrLogger({ processOutput: output }),
        clearOutput: true,
        collapseSkips: false,
      },
      fallbackRendererOptions: { logger: new ListrLogger({ processOutput: output }) },
    },
  );
  await list.run();
}
