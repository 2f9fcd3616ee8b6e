// The compose check's report, text or JSON: pure, findings in, text out. A compose file is data:
// service names, paths and values are shown with controls escaped.
import { safeLine } from "../text/safe-text.js";
import type { ComposeFinding } from "./types.js";

export interface ComposeReport {
  file: string;
  project: string;
  rootless: boolean;
  /** The user who runs the project, shown under rootless. */
  userName: string;
  findings: ComposeFinding[];
}

export function composeJson(r: ComposeReport): string {
  const { file, project, rootless, findings } = r;
  return `${JSON.stringify({ file, project, rootless, findings }, null, 2)}\n`;
}

export function composeText(r: ComposeReport, color: boolean): string {
  const paint = (c: number, t: string) => (color ? `\u001b[${c}m${t}\u001b[0m` : t);
  const shown = safeLine(r.file);
  const out = [`${shown} (${r.rootless ? `rootless, ${safeLine(r.userName)}` : "rootful"})\n`];
  for (const f of r.findings) {
    out.push(
      `${paint(f.status === "fail" ? 31 : 33, f.status === "fail" ? "✖" : "⚠")} ${shown}:${f.at.line}:${f.at.col} ${f.service ? `[${safeLine(f.service)}] ` : ""}${safeLine(f.message)} ${paint(90, `(${f.code})`)}\n`,
      `    ${paint(36, "fix:")} ${safeLine(f.remedy)}\n`,
    );
  }
  out.push(
    r.findings.length === 0
      ? "Nothing in this project needs changing for Podman.\n"
      : `\n${r.findings.length} finding(s), ${r.findings.filter((f) => f.status === "fail").length} failing.\n`,
  );
  return out.join("");
}
