// `podlift` alone on a terminal: detect (the doctor), fix (the fix engine), move data (migrate),
// finish with what changed, what is left, and where the report and undo journal are. Every step
// is the same engine the subcommands use; this module only asks and tells.

import type { RunResult } from "../doctor/types.js";
import { choosePlans, type Io, printPlans, splitByRoot, summarizeResult } from "../fix/command.js";
import type { Planned } from "../fix/planning.js";
import { safeLine } from "../text/safe-text.js";
import { style } from "../text/terminal.js";

export interface WizardSteps {
  host: import("../host/types.js").WritableHost;
  detect(): Promise<RunResult>;
  plan(result: RunResult): Promise<Planned>;
  apply(result: RunResult, plans: Planned["plans"]): Promise<import("../fix/session.js").FixResult>;
  /** Null when no Docker engine answers; else a function that runs the migration dialogue (volumes, images, networks). */
  migrate(): Promise<null | (() => Promise<string[]>)>;
  saveReport(result: RunResult): Promise<string>;
  stateDir: string;
}

/** Word-wraps each line to the terminal (80 columns over a plain SSH session), keeping its indent. */
export function wrap(text: string, width: number): string {
  return text
    .split("\n")
    .map((line) => {
      const indent = /^\s*(- )?/.exec(line)?.[0] ?? "";
      const pad = " ".repeat(indent.length);
      const out: string[] = [];
      let current = "";
      for (const word of line.slice(indent.length).split(" ")) {
        const prefix = out.length === 0 ? indent : pad;
        if (current && prefix.length + current.length + 1 + word.length > width) {
          out.push(prefix + current);
          current = word;
        } else current = current ? `${current} ${word}` : word;
      }
      out.push((out.length === 0 ? indent : pad) + current);
      return out.join("\n");
    })
    .join("\n");
}

export async function runWizard(steps: WizardSteps, raw: Io, color: boolean): Promise<number> {
  const { select } = await import("@inquirer/prompts");
  const width = Math.max(40, process.stdout.columns ?? 80);
  const io: Io = { out: (t) => raw.out(wrap(t, width)), err: (t) => raw.err(wrap(t, width)) };
  const { bold } = style(color);
  io.out(
    `${bold("podlift")}: from Docker to a working (rootless) Podman. Ctrl-C leaves at any question.\n\n`,
  );

  // 1. Detect
  const result = await steps.detect();
  const by = (s: string) => result.checks.filter((c) => c.status === s);
  const blocking = [...by("fail"), ...by("error")];
  io.out(`${bold("1. What this host has")}\n`);
  io.out(`   ready:   ${by("pass").length} check(s) pass\n`);
  io.out(`   blocks:  ${blocking.length === 0 ? "nothing" : blocking.map((c) => c.title).join(", ")}\n`);
  io.out(
    `   advice:  ${
      by("warn").length === 0
        ? "none"
        : by("warn")
            .map((c) => c.title)
            .join(", ")
    }\n\n`,
  );
  const reportPath = await steps.saveReport(result);

  // 2. Fix
  const changed: string[] = [];
  let runId: string | null = null;
  const planned = await steps.plan(result);
  io.out(`${bold("2. Fixes")}\n`);
  if (planned.plans.length === 0) {
    io.out("   podlift has no fix to offer for what it found.\n\n");
  } else {
    for (const p of planned.plans)
      io.out(`   - ${p.title}${p.risk === "confirm" ? " (risky)" : ""}: ${safeLine(p.summary)}\n`);
    let chosen: Planned["plans"] | null = null;
    while (chosen === null) {
      const action = await select({
        message: "What now?",
        choices: [
          { name: "Choose fixes to apply", value: "choose" },
          { name: "Show exactly what they change (diffs and commands)", value: "show" },
          { name: "Skip fixing", value: "skip" },
        ],
        default: "choose",
      });
      if (action === "show") printPlans(planned, { format: "text", color, interactive: true }, io);
      else if (action === "skip") chosen = [];
      else
        chosen = (await choosePlans(planned.plans, { format: "text", color, interactive: true }, io)) ?? [];
    }
    const applicable = splitByRoot(steps.host, chosen, io);
    if (applicable.length > 0) {
      // Ctrl-C while writing would leave a fix half-done: finish this apply, then stop.
      let interrupted = false;
      const hold = () => {
        interrupted = true;
        io.err("\npodlift: finishing the fixes in progress, then stopping\n");
      };
      process.on("SIGINT", hold);
      try {
        const outcome = await steps.apply(result, applicable);
        summarizeResult(outcome, io);
        runId = outcome.runId;
        changed.push(...outcome.outcomes.filter((o) => o.status === "applied").map((o) => `fix ${o.fixId}`));
      } finally {
        process.off("SIGINT", hold);
      }
      if (interrupted) return 130;
    }
    io.out("\n");
  }

  // 3. Move data
  io.out(`${bold("3. Data in Docker: volumes, then images and networks")}\n`);
  const migrate = await steps.migrate();
  if (migrate === null) io.out("   No Docker engine answers here: nothing to move.\n\n");
  else changed.push(...(await migrate()));

  // 4. Finish
  const left = blocking.map((c) => c.id);
  io.out(`${bold("4. Done")}\n`);
  io.out(`   changed: ${changed.length === 0 ? "nothing" : safeLine(changed.join(", "))}\n`);
  io.out(`   report:  ${safeLine(reportPath)}\n`);
  const root = steps.host.root === "/" ? "" : ` --root ${steps.host.root}`;
  if (runId)
    io.out(
      `   undo:    podlift undo${root} --run ${runId} (journal in ${steps.host.root === "/" ? "" : steps.host.root}${steps.stateDir})\n`,
    );
  io.out(
    `   next:    podlift doctor${left.length ? ` --only ${left.join(",")}` : ""} to check again; podlift bundle if something is still wrong\n`,
  );
  return 0;
}
