// The report people read: problems first with their remedy under them, passing checks as one
// line each, a summary line last. Colour only when asked (a terminal without NO_COLOR).
import type { CheckResult, CheckStatus, ComposeResult, Finding, RunResult } from "../src/doctor/types.js";
import { redactDeep } from "../src/text/redact.js";
import { safeDeep } from "../src/text/safe-text.js";
import { type COLOURS, type Style, style } from "../src/text/terminal.js";

export interface TextOptions {
  color: boolean;
  verbose: boolean;
}

const ICON: Record<CheckStatus, string> = { pass: "✔", warn: "⚠", fail: "✖", skip: "-", error: "!" };
const COLOR: Record<CheckStatus, keyof typeof COLOURS> = {
  pass: "pass",
  warn: "warn",
  fail: "fail",
  skip: "dim",
  error: "error",
};
const ORDER: CheckStatus[] = ["error", "fail", "warn", "pass", "skip"];

export function writeText(raw: RunResult | ComposeResult, options: TextOptions): string {
  // Host-derived text (PRETTY_NAME, sysctl values, file names) is data: no terminal escapes.
  if (raw.kind === "compose") return composeText(safeDeep(redactDeep(raw)), options);
  const result = safeDeep(redactDeep(raw));
  const { paint, bold } = style(options.color);
  const h = result.host;
  const who = `${h.targetUser.name} (${h.rootful ? "rootful" : "rootless"}${h.targetUser.source === "sudo" ? ", from SUDO_USER" : ""})`;
  const lines: string[] = [
    bold(`podlift doctor ${result.tool.version}`) +
      ` — ${h.os?.prettyName ?? h.platform}, kernel ${h.kernel ?? "unknown"}${h.virtualization ? `, ${h.virtualization}` : ""}, target user ${who}${h.root !== "/" ? `, root ${h.root}` : ""}`,
    "",
  ];
  const sorted = [...result.checks].sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status));
  for (const c of sorted) {
    const timing = options.verbose ? paint("dim", ` (${c.durationMs} ms)`) : "";
    const head = `${paint(COLOR[c.status], ICON[c.status])} ${bold(c.title)} ${paint("dim", `[${c.id}]`)}`;
    if (c.status === "skip") {
      lines.push(`${head} ${paint("dim", `skipped: ${c.skipReason}`)}`);
      continue;
    }
    const shown = options.verbose ? c.findings : c.findings.filter((f) => f.status !== "pass");
    if (shown.length === 0) {
      lines.push(`${head}${timing} ${paint("dim", summaryOf(c))}`);
      continue;
    }
    lines.push(`${head}${timing}`);
    for (const f of shown) lines.push(...finding(f, options, paint));
    if (c.status !== "pass") lines.push(`    ${paint("dim", `docs: podlift explain ${c.id}`)}`);
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

function finding(f: Finding, options: TextOptions, paint: Style["paint"]): string[] {
  const out = [`    ${paint(COLOR[f.status], ICON[f.status])} ${f.message}`];
  if (f.remedy) out.push(`      ${paint("hint", "fix:")} ${f.remedy}`);
  if (f.fixes && f.fixes.length > 0)
    out.push(`      ${paint("hint", "or:")} podlift fix --only ${f.fixes.join(",")}`);
  if (f.evidence && (options.verbose || f.status !== "pass")) {
    const parts = Object.entries(f.evidence)
      .filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("; ") : String(v)}`);
    if (parts.length > 0) out.push(`      ${paint("dim", `evidence: ${parts.join(", ")}`)}`);
  }
  if (options.verbose) out.push(`      ${paint("dim", `code: ${f.code}`)}`);
  return out;
}

/**
 * A compose check reads like a linter's output: every finding in file order as
 * `file:line:col [service] message (code)`, its remedy under it, then a count.
 */
function composeText(r: ComposeResult, options: TextOptions): string {
  const { paint } = style(options.color);
  const out = [`${r.file} (${r.rootless ? `rootless, ${r.userName}` : "rootful"})\n`];
  for (const f of r.findings) {
    out.push(
      `${paint(COLOR[f.status], ICON[f.status])} ${f.at.file ?? r.file}:${f.at.line}:${f.at.col} ${f.service ? `[${f.service}] ` : ""}${f.message} ${paint("dim", `(${f.code})`)}\n`,
      `    ${paint("hint", "fix:")} ${f.remedy}\n`,
    );
  }
  if (options.verbose) {
    for (const c of r.checks.filter((c) => c.status === "skip"))
      out.push(`${paint("dim", `- ${c.id}: not run: ${c.skipReason}`)}\n`);
  }
  const failing = r.findings.filter((f) => f.status === "fail").length;
  out.push(
    r.findings.length === 0
      ? "Nothing in this project needs changing for Podman.\n"
      : `\n${r.findings.length} finding(s), ${failing} failing.\n`,
  );
  return out.join("");
}
