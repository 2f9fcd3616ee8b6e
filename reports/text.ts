// The report people read: problems first with their remedy under them, passing checks as one
// line each, a summary line last. Colour only when asked (a terminal without NO_COLOR).
import type { CheckResult, CheckStatus, Finding, RunResult } from "../src/engine/types.js";
import { redactDeep } from "../src/redact.js";
import { safeDeep } from "../src/text/safe-text.js";

export interface TextOptions {
  color: boolean;
  verbose: boolean;
}

const ICON: Record<CheckStatus, string> = { pass: "✔", warn: "⚠", fail: "✖", skip: "-", error: "!" };
const COLOR: Record<CheckStatus, number> = { pass: 32, warn: 33, fail: 31, skip: 90, error: 35 };
const ORDER: CheckStatus[] = ["error", "fail", "warn", "pass", "skip"];

export function writeText(raw: RunResult, options: TextOptions): string {
  // Host-derived text (PRETTY_NAME, sysctl values, file names) is data: no terminal escapes.
  const result = safeDeep(redactDeep(raw));
  const paint = (code: number, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const bold = (text: string) => (options.color ? `\u001b[1m${text}\u001b[0m` : text);
  const h = result.host;
  const who = `${h.targetUser.name} (${h.rootful ? "rootful" : "rootless"}${h.targetUser.source === "sudo" ? ", from SUDO_USER" : ""})`;
  const lines: string[] = [
    bold(`podlift doctor ${result.tool.version}`) +
      ` — ${h.os?.prettyName ?? h.platform}, kernel ${h.kernel ?? "unknown"}${h.virtualization ? `, ${h.virtualization}` : ""}, target user ${who}${h.root !== "/" ? `, root ${h.root}` : ""}`,
    "",
  ];
  const sorted = [...result.checks].sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status));
  for (const c of sorted) {
    const timing = options.verbose ? paint(90, ` (${c.durationMs} ms)`) : "";
    const head = `${paint(COLOR[c.status], ICON[c.status])} ${bold(c.title)} ${paint(90, `[${c.id}]`)}`;
    if (c.status === "skip") {
      lines.push(`${head} ${paint(90, `skipped: ${c.skipReason}`)}`);
      continue;
    }
    const shown = options.verbose ? c.findings : c.findings.filter((f) => f.status !== "pass");
    if (shown.length === 0) {
      lines.push(`${head}${timing} ${paint(90, summaryOf(c))}`);
      continue;
    }
    lines.push(`${head}${timing}`);
    for (const f of shown) lines.push(...finding(f, options, paint));
    if (c.status !== "pass") lines.push(`    ${paint(90, `docs: podlift explain ${c.id}`)}`);
  }
  const s = result.summary;
  lines.push(
    "",
    `${bold("Summary:")} ${paint(COLOR.pass, `${s.pass} passed`)}, ${paint(COLOR.warn, `${s.warn} warning${s.warn === 1 ? "" : "s"}`)}, ` +
      `${paint(COLOR.fail, `${s.fail} failed`)}, ${s.error} error${s.error === 1 ? "" : "s"}, ${s.skip} skipped ` +
      `in ${result.durationMs} ms${result.interrupted ? " (interrupted)" : ""} — exit ${result.exitCode}`,
  );
  return `${lines.join("\n")}\n`;
}

function summaryOf(c: CheckResult): string {
  return c.findings[0]?.message ?? "";
}

function finding(f: Finding, options: TextOptions, paint: (c: number, t: string) => string): string[] {
  const out = [`    ${paint(COLOR[f.status], ICON[f.status])} ${f.message}`];
  if (f.remedy) out.push(`      ${paint(36, "fix:")} ${f.remedy}`);
  if (f.fixes && f.fixes.length > 0)
    out.push(`      ${paint(36, "or:")} podlift fix --only ${f.fixes.join(",")}`);
  if (f.evidence && (options.verbose || f.status !== "pass")) {
    const parts = Object.entries(f.evidence)
      .filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("; ") : String(v)}`);
    if (parts.length > 0) out.push(`      ${paint(90, `evidence: ${parts.join(", ")}`)}`);
  }
  if (options.verbose) out.push(`      ${paint(90, `code: ${f.code}`)}`);
  return out;
}
