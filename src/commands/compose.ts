// podlift compose check / fix: flags → compose engine (src/compose-check/engine.ts) → report.
import { EXIT } from "../doctor/exit-code.js";
import { shellQuote } from "../text/safe-text.js";
import { interactive, useColor } from "../text/terminal.js";
import { io, prepare, type ReportFlags, reportOutput } from "./common.js";
import { toolVersion } from "./version.js";

export interface ComposeFlags extends ReportFlags {
  root: string;
  /** -f, repeatable: merged in order, as Compose merges them. */
  file?: string[];
  /** --dotenv: variables instead of the .env beside the first file (compose's --env-file). */
  dotenv?: string;
  user?: string;
  failOn?: "warn" | "fail";
}

export interface ComposeFixFlags extends ComposeFlags {
  dryRun?: boolean;
  yes?: boolean;
  allowRisky?: boolean;
}

async function start(given: string | undefined, flags: ComposeFlags) {
  const { analyse } = await import("../compose-check/engine.js");
  const { host, facts } = await prepare(
    { only: [], skip: [], root: flags.root, user: flags.user, color: flags.color },
    [],
  );
  const files = [...(given === undefined ? [] : [given]), ...(flags.file ?? [])];
  return analyse({ files, envFile: flags.dotenv }, host, facts);
}

export async function runComposeCheck(given: string | undefined, flags: ComposeFlags): Promise<number> {
  const emit = await reportOutput(flags);
  const analysis = await start(given, flags);
  const { composeResult } = await import("../compose-check/engine.js");
  const result = composeResult(analysis, flags.failOn ?? "fail", toolVersion());
  await emit(result);
  return result.exitCode;
}

/** podlift compose fix: the rules' edits as one plan through the fix engine (journal, atomic write, undo). */
export async function runComposeFix(given: string | undefined, flags: ComposeFixFlags): Promise<number> {
  const analysis = await start(given, flags);
  const [{ planEdits, applyEdits }, { renderPlan }, { safeLine }] = await Promise.all([
    import("../compose-check/engine.js"),
    import("../fix/render.js"),
    import("../text/safe-text.js"),
  ]);
  const { edited, advisory, plan } = await planEdits(analysis);
  for (const s of edited.skipped) io.err(`podlift: ${s.finding.code}: ${s.why}\n`);
  if (plan === null) {
    io.out(
      `Nothing podlift can edit in ${analysis.file}.${advisory.length ? ` ${advisory.length} finding(s) need a decision: see podlift compose check.` : ""}\n`,
    );
    return advisory.some((f) => f.status === "fail") ? EXIT.failed : EXIT.ok;
  }
  io.out(renderPlan(plan, useColor(flags)));
  if (flags.dryRun) return EXIT.ok;
  if (flags.yes && plan.risk === "confirm" && !flags.allowRisky) {
    io.err(
      "podlift: nothing changed: adding :z relabels host folders; pass --allow-risky with --yes to apply it\n",
    );
    return EXIT.failed;
  }
  if (!flags.yes) {
    if (!interactive()) {
      io.err("podlift: nothing changed: no terminal to ask on. Pass --yes to apply these edits.\n");
      return EXIT.failed;
    }
    const { confirm } = await import("@inquirer/prompts");
    if (!(await confirm({ message: "Apply these edits? podlift undo puts the file back.", default: false })))
      return EXIT.ok;
  }
  const outcome = await applyEdits(analysis, plan, edited, (line) => io.err(`podlift: ${line}\n`));
  if (outcome.status === "failed") {
    io.out(`✖ compose-edits: ${outcome.applyStatus}: ${safeLine(outcome.error)}\n`);
    return EXIT.failed;
  }
  if (outcome.status === "rolled-back") {
    io.out(
      `✖ compose-edits: not verified (${outcome.still.join(", ")} still found); the file is back as it was\n`,
    );
    return EXIT.failed;
  }
  const root = analysis.host.root === "/" ? "" : ` --root ${shellQuote(analysis.host.root)}`;
  io.out(`✔ compose-edits: applied and verified\n\nUndo with: podlift undo --run ${outcome.runId}${root}\n`);
  return EXIT.ok;
}
