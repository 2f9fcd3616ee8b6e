// One `podlift fix` apply and one `podlift undo`, as functions the CLI and the tests share.
import type { FactOptions } from "../doctor/facts.js";
import type { Check, RunResult } from "../doctor/types.js";
import type { WritableHost } from "../host/types.js";
import { safeLine } from "../text/safe-text.js";
import { type ApplyOutcome, applyPlans, revertEntries } from "./apply.js";
import { removeStaleTemps } from "./cleanup.js";
import { type FixLock, isRunId, type Journal, JournalStore, LockedError } from "./journal.js";
import { type Verification, verifyFixes } from "./planning.js";
import { needsRoot } from "./render.js";
import type { Fix, Plan } from "./types.js";

export interface FixResult {
  runId: string;
  outcomes: (ApplyOutcome & { verified?: boolean; remaining?: string[] })[];
}

export interface ApplyOptions {
  /** The doctor run the plans were made from. */
  before: RunResult;
  host: WritableHost;
  plans: Plan[];
  checks: readonly Check[];
  fixes: readonly Fix[];
  factOptions: FactOptions;
  version: string;
  /**
   * The lock the caller took before the doctor run the plans come from (fixLock). Without it,
   * applyAndVerify takes the lock itself, which guards only the writes, not the planning.
   */
  lock?: FixLock;
}

/** A held fix lock, with what taking it cleaned up. */
export interface HeldFixLock {
  lock: FixLock;
  /** What the user should hear: a stale lock taken over, stale temporary files removed. */
  notices: string[];
}

/**
 * Takes the one-run-at-a-time lock, then removes the temporary files killed runs left. A fix run
 * takes it before its doctor run and planning and holds it through apply and verify: two runs
 * planning from the same state would both apply (two subordinate ranges for one user).
 */
export async function fixLock(host: WritableHost): Promise<HeldFixLock> {
  const store = new JournalStore(host, host.writer());
  const lock = await store.lock();
  const notices: string[] = [];
  if (lock.recovered) notices.push(lock.recovered);
  try {
    const removed = await removeStaleTemps(host, store);
    if (removed.length > 0)
      notices.push(
        `removed ${removed.length} temporary file(s) an interrupted podlift run left: ${removed.map((p) => safeLine(store.shown(p))).join(", ")}`,
      );
  } catch (error) {
    notices.push(`could not look for stale temporary files: ${safeLine((error as Error).message)}`);
  }
  return { lock, notices };
}

/** Plans that need root while podlift is not root cannot be applied by podlift itself. */
export function rootBlocked(host: WritableHost, plan: Plan): boolean {
  return host.currentUser().uid !== 0 && plan.changes.some(needsRoot);
}

export async function applyAndVerify(options: ApplyOptions): Promise<FixResult> {
  const { host, plans } = options;
  const store = new JournalStore(host, host.writer());
  const release = options.lock ?? (await fixLock(host)).lock;
  if (!(await release.held()))
    throw new LockedError(`the lock ${release.path} is no longer this run's; nothing was applied`);
  try {
    const journal: Journal = {
      id: store.newId(),
      startedAt: new Date().toISOString(),
      user: host.currentUser().name,
      fixes: [],
    };
    const applied = await applyPlans(host, store, journal, plans);
    const done = plans.filter((p) => applied.some((o) => o.fixId === p.fixId && o.status === "applied"));
    const { verifications } = await verifyFixes(
      options.before,
      host,
      options.factOptions,
      options.checks,
      options.fixes,
      done,
      options.version,
    );
    const outcomes: FixResult["outcomes"] = [];
    for (const outcome of applied) {
      const v: Verification | undefined = verifications.find((x) => x.fixId === outcome.fixId);
      const record = journal.fixes.find((f) => f.fixId === outcome.fixId);
      if (outcome.status !== "applied" || v === undefined || record === undefined) {
        outcomes.push(outcome);
        continue;
      }
      if (v.verified) {
        record.status = "verified";
        outcomes.push({ ...outcome, verified: true });
      } else {
        // A fix that does not make its checks pass is taken back: nothing half-done stays.
        const problems = await revertEntries(host, store, journal.id, record.entries, true);
        record.status = "rolled-back";
        record.error = `not verified: ${v.remaining.map((f) => f.code).join(", ")}${problems.length ? `; rollback: ${problems.join("; ")}` : ""}`;
        outcomes.push({
          fixId: outcome.fixId,
          status: "rolled-back",
          verified: false,
          remaining: v.remaining.map((f) => `${f.code}: ${f.message}`),
          error: record.error,
        });
      }
    }
    await store.save(journal);
    return { runId: journal.id, outcomes };
  } finally {
    if (options.lock === undefined) await release();
  }
}

export interface UndoResult {
  runId: string | null;
  restored: string[];
  problems: string[];
  /** A stale lock taken over, stale temporary files removed (absent when none). */
  notices?: string[];
}

/**
 * Undoes one run: the newest undoable one, or `runId`, which must be one of the runs podlift
 * lists in its own state folder (a path or an unknown id is refused, never read).
 */
export async function undoRun(
  host: WritableHost,
  runId: string | undefined,
  force: boolean,
): Promise<UndoResult> {
  const store = new JournalStore(host, host.writer());
  if (runId !== undefined && !isRunId(runId))
    return {
      runId: null,
      restored: [],
      problems: [`${safeLine(runId)} is not a fix run id (see podlift undo --list)`],
    };
  const { lock: release, notices } = await fixLock(host);
  const withNotices = (r: Omit<UndoResult, "notices">): UndoResult =>
    notices.length > 0 ? { ...r, notices } : r;
  try {
    const journal = runId ? await store.load(runId) : await store.latestUndoable();
    if (journal === null)
      return withNotices({
        runId: null,
        restored: [],
        problems: runId
          ? [`no fix run ${runId} under ${store.shown(store.dir)} (see podlift undo --list)`]
          : [],
      });
    if (journal.undoneAt)
      return withNotices({
        runId: journal.id,
        restored: [],
        problems: [`run ${journal.id} was already undone at ${safeLine(journal.undoneAt)}`],
      });
    const restored: string[] = [];
    const problems: string[] = [];
    for (const fix of [...journal.fixes].reverse()) {
      if (fix.status === "rolled-back" || fix.entries.length === 0) continue;
      problems.push(...(await revertEntries(host, store, journal.id, fix.entries, force)));
      restored.push(fix.fixId);
    }
    // With problems left, the run stays undoable: the user can look, then retry with --force.
    if (problems.length === 0) journal.undoneAt = new Date().toISOString();
    await store.save(journal);
    return withNotices({ runId: journal.id, restored, problems });
  } finally {
    await release();
  }
}
