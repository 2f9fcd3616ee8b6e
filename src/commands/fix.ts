// podlift fix and podlift undo.
import { EXIT } from "../engine/exit-code.js";
import { toolVersion } from "../version.js";
import { interactive, io, prepare, type RunFlags, Usage, useColor } from "./common.js";

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
    import("../fix/engine.js"),
    import("../fix/command.js"),
    import("../fix/run.js"),
  ]);
  const checkIds = flags.only.filter((id) => checks.some((c) => c.id === id));
  const fixIds = flags.only.filter((id) => fixes.some((f) => f.id === id));
  const unknown = flags.only.filter((id) => !checkIds.includes(id) && !fixIds.includes(id));
  if (unknown.length > 0)
    throw new Usage(`unknown check or fix id: ${unknown.join(", ")} (see \`podlift checks\`)`);
  // --only with fix ids runs the checks those fixes verify; with check ids, those checks.
  const prepared = await prepare(flags, checkIds);
  const result = await prepared.run();
  if (result.interrupted) return EXIT.interrupted;
  const planned = await engine.planFixes(
    { host: prepared.host, facts: prepared.facts },
    result,
    fixes,
    fixIds,
  );
  const mode = { ...flags, color: useColor(flags), interactive: interactive() };
  if (planned.plans.length === 0) {
    command.printPlans(planned, mode, io);
    const left = command.remainingFailures(result);
    io.out(
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
  const chosen = await command.choosePlans(planned.plans, mode, io);
  if (chosen === null) {
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
}

export async function runUndo(opts: {
  run?: string;
  list?: boolean;
  force?: boolean;
  root: string;
}): Promise<number> {
  const [{ LiveHost }, { undoRun }, { JournalStore }] = await Promise.all([
    import("../host/live-host.js"),
    import("../fix/run.js"),
    import("../fix/journal.js"),
  ]);
  const host = new LiveHost(opts.root);
  if (opts.list) {
    const store = new JournalStore(host, host.writer());
    for (const id of await store.list()) {
      const j = await store.load(id).catch(() => null);
      if (!j) continue;
      const fixes = j.fixes.map((f) => `${f.fixId}:${f.status}`).join(", ") || "no changes";
      io.out(`${id}  ${j.undoneAt ? "undone" : "active"}  ${fixes}\n`);
    }
    return EXIT.ok;
  }
  const result = await undoRun(host, opts.run, opts.force === true);
  if (result.runId === null) {
    io.out("Nothing to undo.\n");
    return EXIT.ok;
  }
  for (const id of result.restored) io.out(`✔ undid ${id}\n`);
  for (const p of result.problems) io.err(`podlift: ${p}\n`);
  io.out(
    result.problems.length === 0 ? `Run ${result.runId} undone.\n` : `Run ${result.runId} partly undone.\n`,
  );
  return result.problems.length === 0 ? EXIT.ok : EXIT.failed;
}
