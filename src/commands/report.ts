// podlift report merge: many doctor reports (files, or folders of *.json) → one fleet report in
// text, JSON (reports/schema/fleet.schema.json) or one self-contained HTML page. A file that is
// not a podlift doctor report (unreadable, not JSON, another schema) is set aside with the
// reason, never fatal.
import path from "node:path";
import type { RunResult } from "../doctor/types.js";
import { UsageError } from "../errors.js";
import { safeLine } from "../text/safe-text.js";
import { io } from "./common.js";
import { toolVersion } from "./version.js";

export interface MergeFlags {
  format: "text" | "json" | "html";
  output?: string;
}

/** The largest report podlift reads (a doctor report is tens of kB). */
const MAX_REPORT_BYTES = 8 * 1024 * 1024;

export async function mergeCommand(paths: string[], flags: MergeFlags): Promise<number> {
  const [{ checkOutputTarget, isOwnStdout, writeFileAtomic }, { readRegularText }, { readdir, stat }] =
    await Promise.all([
      import("../host/atomic.js"),
      import("../host/safe-read.js"),
      import("node:fs/promises"),
    ]);
  const toStdout = flags.output !== undefined && (await isOwnStdout(flags.output));
  if (flags.output !== undefined && !toStdout) await checkOutputTarget(flags.output);
  const files: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (s === null) throw new UsageError(`${p}: no such file or folder`);
    if (s.isDirectory())
      files.push(
        ...(await readdir(p))
          .filter((n) => n.endsWith(".json"))
          .sort()
          .map((n) => path.join(p, n)),
      );
    else files.push(p);
  }
  if (files.length === 0) throw new UsageError("no report files to merge (give files, or folders of *.json)");
  const [{ validateDoctorReport }, fleet, { fleetHtml }, { writeJson }] = await Promise.all([
    import("../../reports/validate.js"),
    import("../../reports/fleet.js"),
    import("../../reports/fleet-html.js"),
    import("../../reports/json.js"),
  ]);
  const inputs: { file: string; report: RunResult }[] = [];
  const rejected: { file: string; reason: string }[] = [];
  for (const file of files) {
    let text: string | null;
    try {
      text = await readRegularText(file, { maxBytes: MAX_REPORT_BYTES });
    } catch (error) {
      rejected.push({ file, reason: (error as Error).message });
      continue;
    }
    if (text === null) {
      rejected.push({ file, reason: "no such file" });
      continue;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      rejected.push({ file, reason: `not JSON: ${(error as Error).message.split("\n")[0]}` });
      continue;
    }
    const problem = validateDoctorReport(data);
    if (problem !== null) rejected.push({ file, reason: `not a podlift doctor report: ${problem}` });
    else inputs.push({ file, report: data as RunResult });
  }
  const merged = fleet.mergeReports(inputs, rejected, toolVersion());
  const rendered =
    flags.format === "json"
      ? writeJson(merged)
      : flags.format === "html"
        ? fleetHtml(merged)
        : fleet.fleetText(merged);
  if (flags.output === undefined || toStdout) io.out(rendered);
  else {
    await writeFileAtomic(flags.output, rendered, { mode: 0o644 });
    io.out(fleet.fleetText(merged));
    io.err(`podlift: ${flags.format} fleet report written to ${safeLine(flags.output)}\n`);
  }
  // CI: 0 when every host is ready, 1 when any is blocked or incomplete, as the doctor's codes.
  return merged.summary.blocked + merged.summary.incomplete > 0 || merged.hosts.length === 0 ? 1 : 0;
}
