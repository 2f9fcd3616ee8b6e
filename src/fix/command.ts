// `podlift fix` and `podlift undo` for people and for CI: choose plans, show them, apply them.
// Without a terminal and without --yes, nothing is applied and nothing waits for input.
import type { RunResult } from "../doctor/types.js";
import type { WritableHost } from "../host/types.js";
import { safeLine } from "../text/safe-text.js";
import type { Planned } from "./planning.js";
import { renderPlan, renderScript } from "./render.js";
import { type FixResult, rootBlocked } from "./session.js";
import type { Plan } from "./types.js";

export interface FixMode {
  dryRun?: boolean;
  yes?: boolean;
  allowRisky?: boolean;
  script?: boolean;
  format: "text" | "json";
  color: boolean;
  interactive: boolean;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Which plans to apply: --yes takes the safe ones (and risky with --allow-risky); a person picks. */
export async function choosePlans(plans: Plan[], mode: FixMode, io: Io): Promise<Plan[] | null> {
  if (mode.yes) {
    const risky = plans.filter((p) => p.risk === "confirm" && !mode.allowRisky);
    for (const p of risky) io.err(`podlift: not applying risky fix ${p.fixId} without --allow-risky\n`);
    return plans.filter((p) => !risky.includes(p));
  }
  if (!mode.interactive) return null;
  const { checkbox, confirm } = await import("@inquirer/prompts");
  const chosen = await checkbox({
    message: "Which fixes should podlift apply?",
    choices: plans.map((p) => ({
      name: `${p.title}${p.risk === "confirm" ? " (risky)" : ""}`,
      value: p.fixId,
      checked: p.risk === "safe",
      description: p.summary,
    })),
  });
  const selected = plans.filter((p) => chosen.includes(p.fixId));
  if (selected.length === 0) return [];
  const ok = await confirm({
    message: `Apply ${selected.length} fix(es) now? Every change is journalled for \`podlift undo\`.`,
    default: false,
  });
  return ok ? selected : [];
}

export function printPlans(planned: Planned, mode: FixMode, io: Io): void {
  if (mode.format === "json") {
    io.out(`${JSON.stringify({ plans: planned.plans, unplannable: planned.unplannable }, null, 2)}\n`);
    return;
  }
  if (mode.script) {
    io.out(renderScript(planned.plans));
    return;
  }
  for (const plan of planned.plans) io.out(`${renderPlan(plan, mode.color)}\n`);
  for (const u of planned.unplannable)
    io.out(`- [${u.fixId}] ${u.title}: cannot be applied here: ${safeLine(u.reason)}\n`);
}

export function summarizeResult(result: FixResult, io: Io): number {
  let failed = 0;
  for (const o of result.outcomes) {
    if (o.status === "applied" && o.verified) io.out(`✔ ${o.fixId}: applied and verified\n`);
    else if (o.status === "applied") io.out(`✔ ${o.fixId}: applied (no check to verify it)\n`);
    else {
      failed++;
      io.out(`✖ ${o.fixId}: ${o.status}: ${safeLine(o.error ?? "")}\n`);
      for (const r of o.remaining ?? []) io.out(`    still: ${safeLine(r)}\n`);
    }
  }
  io.out(`\nUndo with: podlift undo --run ${result.runId}\n`);
  return failed === 0 ? 0 : 1;
}

/** Plans podlift cannot apply as this user: they need root. */
export function splitByRoot(host: WritableHost, plans: Plan[], io: Io): Plan[] {
  const blocked = plans.filter((p) => rootBlocked(host, p));
  for (const p of blocked)
    io.err(
      `podlift: ${p.fixId} needs root: run podlift fix with sudo, or review \`podlift fix --script\` and run it as root\n`,
    );
  return plans.filter((p) => !blocked.includes(p));
}

export function remainingFailures(result: RunResult): number {
  return result.checks.filter((c) => c.status === "fail" || c.status === "error").length;
}
