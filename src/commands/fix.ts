// podlift fix and podlift undo.
import { EXIT } from "../doctor/exit-code.js";
import { UsageError } from "../errors.js";
import { interactive, useColor } from "../text/terminal.js";
import { io, openLiveHost, prepare, type RunFlags } from "./common.js";
import { toolVersion } from "./version.js";

export interface FixFlags extends RunFlags {
  dryRun?: boolean;
  yes?: boolean;
  allowRisky?: boolean;
  script?: boolean;
  format: "text" | "json";
}

export async function runFix(flags: FixFlags): Promise<number> {
  const [{ checks }, { fixes }, engine, command, run] = await Promise.all([
    import("../../checks/index.js"),
    import("../../fixes/index.js"),
    import("../fix/planning.js"),
    import("../fix/command.js"),
    import("../fix/session.js"),
  ]);
  const checkIds = flags.only.filter((id) => checks.some((c) => c.id === id));
  const fixIds = flags.only.filter((id) => fixes.some((f) => f.id === id));
  const unknown = flags.only.filter((id) => !checkIds.includes(id) && !fixIds.includes(id));
  if (unknown.length > 0)
    throw new UsageError(`unknown check or fix id: ${unknown.join(", ")} (see \`podlift checks\`)`);
  const mode = { ...flags, color: useColor(flags), interactive: interactive() };
  // A run that may apply holds the lock from before its doctor run to the end of verification:
  // two runs planning from the same state would both apply. Dry runs and scripts change nothing.
  let held: Awaited<ReturnType<typeof run.fixLock>> | null = null;
  if (!flags.dryRun && !flags.script && (flags.yes || mode.interactive)) {
    held = await run.fixLock(await openLiveHost(flags.root));
    for (const notice of held.notices) io.err(`podlift: ${notice}\n`);
  }
  try {
    // --only with fix ids runs the checks those fixes verify; with check ids, those checks.
    const prepared = await prepare(flags, checkIds, { doctorRun: true });
    const result = await prepared.run();
    if (result.interrupted) return EXIT.interrupted;
    const planned = await engine.planFixes(
      { host: prepared.host, facts: prepared.facts },
      result,
      fixes,
      fixIds,
    );
    if (planned.plans.length === 0) {
      command.printPlans(planned, mode, io);
      const left = command.remainingFailures(result);
      // A script or JSON on stdout must stay a script or JSON: the sentence goes to stderr there.
      const say = flags.script || flags.format === "json" ? io.err : io.out;
      say(
        left === 0
          ? "Nothing to fix.\n"
          : `Nothing podlift can fix; ${left} check(s) still fail: see podlift doctor.\n`,
      );
      return left === 0 ? EXIT.ok : EXIT.failed;
    }
    if (flags.dryRun || flags.script) {
      command.printPlans(planned, mode, io);
      return EXIT.ok;
    }
    if (flags.format === "text" && !flags.yes) command.printPlans(planned, mode, io);
    const chosen = held === null ? null : await command.choosePlans(planned.plans, mode, io);
    if (chosen === null || held === null) {
      if (flags.format === "json") command.printPlans(planned, mode, io);
      io.err(
        "podlift: nothing applied: no terminal to ask on. Apply the safe fixes with --yes (risky ones need --allow-risky too).\n",
      );
      return EXIT.failed;
    }
    const applicable = command.splitByRoot(prepared.host, chosen, io);
    if (applicable.length === 0) {
      io.out("Nothing applied.\n");
      return chosen.length === 0 ? EXIT.ok : EXIT.failed;
    }
    const outcome = await run.applyAndVerify({
      before: result,
      host: prepared.host,
      plans: applicable,
      checks,
      fixes,
      factOptions: prepared.factOptions,
      version: toolVersion(),
      lock: held.lock,
    });
    if (flags.format === "json") {
      io.out(
        `${JSON.stringify({ runId: outcome.runId, outcomes: outcome.outcomes, plans: applicable }, null, 2)}\n`,
      );
      return outcome.outcomes.every((o) => o.status === "applied") && applicable.length === chosen.length
        ? EXIT.ok
        : EXIT.failed;
    }
    const code = command.summarizeResult(outcome, io);
    return code === 0 && applicable.length === chosen.length ? EXIT.ok : EXIT.failed;
  } finally {
    await held?.lock();
  }
}

export async function runUndo(opts: {
  run?: string;
  list?: boolean;
  force?: boolean;
  root: string;
}): Promise<number> {
  const [{ undoRun }, { JournalStore, isRunId }, { safeLine }] = await Promise.all([
    import("../fix/session.js"),
    import("../fix/journal.js"),
    import("../text/safe-text.js"),
  ]);
  const host = await openLiveHost(opts.root);
  if (opts.list) {
    const store = new JournalStore(host, host.writer());
    for (const { id, journal: j } of await store.all()) {
      if (!j) continue;
      const fixes = j.fixes.map((f) => `${f.fixId}:${f.status}`).join(", ") || "no changes";
      io.out(`${id}  ${j.undoneAt ? "undone" : "active"}  ${safeLine(fixes)}\n`);
    }
    return EXIT.ok;
  }
  // A run id, never a path: journals are read only from podlift's own state folder.
  if (opts.run !== undefined && !isRunId(opts.run))
    throw new UsageError(
      `--run takes a run id such as 20250101T120000Z-1a2b3c, not ${JSON.stringify(safeLine(opts.run))} (see podlift undo --list)`,
    );
  const result = await undoRun(host, opts.run, opts.force === true);
  for (const notice of result.notices ?? []) io.err(`podlift: ${notice}\n`);
  if (result.runId === null) {
    for (const p of result.problems) io.err(`podlift: ${safeLine(p)}\n`);
    if (result.problems.length > 0) return EXIT.failed;
    io.out("Nothing to undo.\n");
    return EXIT.ok;
  }
  for (const id of result.restored) io.out(`✔ undid ${safeLine(id)}\n`);
  for (const p of result.problems) io.err(`podlift: ${safeLine(p)}\n`);
  io.out(
    result.problems.length === 0 ? `Run ${result.runId} undone.\n` : `Run ${result.runId} partly undone.\n`,
  );
  return result.problems.length === 0 ? EXIT.ok : EXIT.failed;
}
