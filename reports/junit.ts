// JUnit XML, one testcase per check, for CI systems that show test reports (GitLab, Jenkins,
// GitHub actions with a JUnit reporter). A warn is a failure only under --fail-on warn.
// A compose check is one suite too: each rule a testcase, its findings with file:line:col.
import type { CheckResult, ComposeResult, Finding, RunResult } from "../src/doctor/types.js";
import { redactDeep } from "../src/text/redact.js";

export function writeJunit(raw: RunResult | ComposeResult): string {
  const result = redactDeep(raw);
  const where = result.kind === "compose" ? result.file : null;
  const failOnWarn = result.options.failOn === "warn";
  const isFailure = (c: CheckResult) => c.status === "fail" || (failOnWarn && c.status === "warn");
  const count = (p: (c: CheckResult) => boolean) => result.checks.filter(p).length;
  const attrs = {
    name: where === null ? "podlift doctor" : `podlift compose check ${where}`,
    tests: result.checks.length,
    failures: count(isFailure),
    errors: count((c) => c.status === "error"),
    skipped: count((c) => c.status === "skip"),
    time: seconds(result.durationMs),
    timestamp: result.startedAt,
  };
  const cases = result.checks.map((c) => testcase(c, isFailure(c), where));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attributes(attrs)}>`,
    `  <testsuite ${attributes(attrs)}>`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

function testcase(c: CheckResult, failure: boolean, file: string | null): string {
  const head = `    <testcase ${attributes({ classname: `podlift.${c.id}`, name: c.title, time: seconds(c.durationMs) })}`;
  const problems = c.findings.filter((f) => f.status !== "pass");
  const place = (f: Finding) =>
    f.at && file !== null
      ? `${f.at.file ?? file}:${f.at.line}:${f.at.col}${f.service ? ` [${f.service}]` : ""} `
      : "";
  const body = problems
    .map(
      (f) =>
        `[${f.status}] ${place(f)}${f.code}: ${f.message}${f.remedy ? `\nRemedy: ${f.remedy}` : ""}${f.evidence ? `\nEvidence: ${JSON.stringify(f.evidence)}` : ""}`,
    )
    .join("\n\n");
  const first = problems[0];
  let inner = "";
  if (c.status === "skip") inner = `      <skipped ${attributes({ message: c.skipReason ?? "" })}/>`;
  else if (c.status === "error")
    inner = `      <error ${attributes({ message: c.error ?? "", type: "check.error" })}>${xmlEscape(body)}</error>`;
  else if (failure)
    inner = `      <failure ${attributes({ message: first?.message ?? "", type: first?.code ?? c.status })}>${xmlEscape(body)}</failure>`;
  else if (problems.length > 0) inner = `      <system-out>${xmlEscape(body)}</system-out>`;
  return inner === "" ? `${head}/>` : `${head}>\n${inner}\n    </testcase>`;
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${xmlEscape(String(v))}"`)
    .join(" ");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// XML 1.0 forbids most control characters even when escaped: they are dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(text: string): string {
  return text
    .replace(FORBIDDEN, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
