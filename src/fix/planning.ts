// podlift fix: from a doctor run to plans, and from applied plans to verified fixes.
import { parseCompose } from "../compose/info.js";
import { runDoctor } from "../doctor/doctor.js";
import { type FactOptions, gatherFacts } from "../doctor/facts.js";
import type { Check, Finding, RunResult } from "../doctor/types.js";
import type { WritableHost } from "../host/types.js";
import type { Change, Fix, FixContext, Plan } from "./types.js";

export interface Planned {
  plans: Plan[];
  /** Fixes that address a finding here but cannot act on this host, and why. */
  unplannable: { fixId: string; title: string; reason: string }[];
}

/** The fixes that address the warn/fail findings of a run, each planned against this host. */
export async function planFixes(
  ctx: FixContext,
  result: RunResult,
  fixes: readonly Fix[],
  only: string[] = [],
): Promise<Planned> {
  const out: Planned = { plans: [], unplannable: [] };
  for (const fix of fixes) {
    if (only.length > 0 && !only.includes(fix.id)) continue;
    const findings: Finding[] = [];
    const checkIds = new Set<string>();
    for (const check of result.checks) {
      for (const f of check.findings) {
        if (f.status !== "pass" && fix.addresses.includes(f.code)) {
          findings.push(f);
          checkIds.add(check.id);
        }
      }
    }
    if (findings.length === 0) continue;
    const planned = await fix.plan(ctx, findings);
    if (typeof planned === "string") {
      out.unplannable.push({ fixId: fix.id, title: fix.title, reason: planned });
      continue;
    }
    // A write through a link someone else controls (~/.profile -> /etc/shadow) is never planned,
    // and its "before" (the link target's content) is never shown.
    const steered = await steeringLink(ctx.host, planned.changes);
    if (steered !== null) {
      out.unplannable.push({ fixId: fix.id, title: fix.title, reason: steered });
      continue;
    }
    out.plans.push({
      ...planned,
      fixId: fix.id,
      title: fix.title,
      risk: fix.risk,
      verify: fix.verifiedBy ?? [...checkIds],
    });
  }
  return out;
}

export interface Verification {
  fixId: string;
  verified: boolean;
  /** Findings the fix addresses that the re-run still reports, and problems it newly reports. */
  remaining: Finding[];
}

/**
 * Re-runs the checks each applied fix addresses, with facts gathered afresh. A fix is verified
 * when what it addresses is gone and those checks report no problem they did not report before
 * (a check may hold other, older problems that another fix addresses).
 */
export async function verifyFixes(
  before: RunResult,
  host: WritableHost,
  factOptions: FactOptions,
  checks: readonly Check[],
  fixes: readonly Fix[],
  plans: Plan[],
  version: string,
): Promise<{ verifications: Verification[]; rerun: RunResult | null }> {
  const ids = [...new Set(plans.flatMap((p) => p.verify))];
  if (ids.length === 0) return { verifications: [], rerun: null };
  // A fix may have edited the compose file itself: read it again.
  const composeText = factOptions.compose ? await host.readFile(factOptions.compose.path) : null;
  const compose =
    factOptions.compose && composeText !== null
      ? parseCompose(composeText, factOptions.compose.path)
      : factOptions.compose;
  const facts = await gatherFacts(host, { ...factOptions, compose });
  const rerun = await runDoctor({ checks, host, facts, version, only: ids });
  const verifications = plans.map((plan) => {
    const fix = fixes.find((f) => f.id === plan.fixId);
    const known = new Set(
      before.checks
        .filter((c) => plan.verify.includes(c.id))
        .flatMap((c) => c.findings.filter((f) => f.status !== "pass").map(problemKey)),
    );
    const addressed = (f: Finding) =>
      (fix?.addresses.includes(f.code) ?? false) && (fix?.concerns?.(f) ?? true);
    const remaining = rerun.checks
      .filter((c) => plan.verify.includes(c.id))
      .flatMap((c) => c.findings)
      .filter((f) => f.status !== "pass" && (addressed(f) || !known.has(problemKey(f))));
    const errored = rerun.checks.some((c) => plan.verify.includes(c.id) && c.status === "error");
    return { fixId: plan.fixId, verified: remaining.length === 0 && !errored, remaining };
  });
  return { verifications, rerun };
}

/**
 * A problem as verification compares them: its code and, for a check that tells several causes
 * apart under one code (the canary), the mode and cause; a new cause is a new problem.
 */
function problemKey(f: Finding): string {
  return `${f.code}|${String(f.evidence?.mode ?? "")}|${String(f.evidence?.cause ?? "")}`;
}

/**
 * The first path of a file change that runs through a symbolic link owned by someone other than
 * root or podlift's user, as the reason the plan is refused; null when there is none.
 */
async function steeringLink(host: FixContext["host"], changes: readonly Change[]): Promise<string | null> {
  const me = host.currentUser().uid;
  for (const change of changes) {
    if (change.kind !== "write-file") continue;
    const parts = change.path.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join("/")}`;
      const info = await host.lstat(prefix).catch(() => null);
      if (info?.type === "symlink" && info.uid !== 0 && info.uid !== me)
        return `${prefix} is a symbolic link owned by uid ${info.uid}: podlift will not write ${change.path} through a link another user controls`;
    }
  }
  return null;
}
