// Runs the compose rules on a loaded project: each rule sees only the facts it declares and may
// emit only the codes (and statuses) it declares, as ESLint holds rules to meta.messages; a rule
// that breaks its declaration is a bug in podlift, and throws.
import { composeRules } from "../../compose-rules/index.js";
import type { Loaded } from "../compose/project.js";
import { type ComposeFinding, type ComposeRule, FACTS, type HostContext, type Service } from "./types.js";

/** Every finding of every rule, by position in the file. */
export function checkProject(
  p: Loaded,
  host: HostContext,
  rules: readonly ComposeRule[] = composeRules,
): ComposeFinding[] {
  return byPosition(runRules(p, host, rules).flatMap((r) => r.findings));
}

export interface RuleRun {
  rule: ComposeRule;
  /** In position order. */
  findings: ComposeFinding[];
  /** What the rule needed and did not have, when it did not run. */
  missing?: "services" | "dockerVolumes" | "bindAccess" | "listening";
}

/** The rules that ran (a rule whose requirements are missing does not), each with its findings. */
export function runRules(
  p: Loaded,
  host: HostContext,
  rules: readonly ComposeRule[] = composeRules,
): RuleRun[] {
  const raw = p.data.services ?? {};
  const mapping = typeof raw === "object" && raw !== null && !Array.isArray(raw);
  const services = (mapping ? raw : {}) as Record<string, Service>;
  const at = (key: string) => p.positions.get(key) ?? { line: 1, col: 1 };
  const out: RuleRun[] = [];
  for (const rule of rules) {
    const missing = (rule.requires ?? []).find((need) =>
      need === "services" ? !mapping : host[need] === undefined,
    );
    if (missing !== undefined) {
      out.push({ rule, findings: [], missing });
      continue;
    }
    const findings = rule.run({ project: p, host: declaredOnly(rule, host), services, at });
    for (const finding of findings) {
      const declared = rule.codes[finding.code];
      if (!declared?.status.includes(finding.status))
        throw new Error(
          `compose rule ${rule.id} emitted ${finding.code} (${finding.status}), which it does not declare`,
        );
    }
    out.push({ rule, findings: byPosition(findings) });
  }
  return out;
}

/** Stable: findings at one position keep the order they came in (the order of the rule list). */
function byPosition(findings: ComposeFinding[]): ComposeFinding[] {
  return findings.sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col);
}

/**
 * The host facts as the rule declared them: a plain object (rules read facts in loops over
 * thousands of services) whose undeclared facts are getters that throw.
 */
function declaredOnly(rule: ComposeRule, host: HostContext): HostContext {
  const view: Record<string, unknown> = {};
  for (const fact of FACTS) {
    if (rule.facts.includes(fact)) view[fact] = host[fact];
    else
      Object.defineProperty(view, fact, {
        get() {
          throw new Error(`compose rule ${rule.id} reads the fact ${fact}, which it does not declare`);
        },
      });
  }
  return view as unknown as HostContext;
}
