// The only writer. For each plan: refuse if a file changed since it was planned, back up what
// is about to change, apply in order, journal every step; on a failure, roll that fix back.

import { HostError } from "../errors.js";
import type { HostWriter, WritableHost } from "../host/types.js";
import { type Journal, type JournalEntry, type JournalFix, type JournalStore, sha256 } from "./journal.js";
import type { Change, Plan } from "./types.js";

export class PlanOutdated extends HostError {}

export interface ApplyOutcome {
  fixId: string;
  status: "applied" | "rolled-back" | "refused";
  error?: string;
}

/** What apply needs to check before it writes anything. */
async function precheck(host: WritableHost, plan: Plan): Promise<void> {
  for (const change of plan.changes) {
    if (change.kind === "write-file") {
      const now = await host.readFile(change.path);
      if (now !== change.before) {
        throw new PlanOutdated(`${change.path} changed since the plan was made; run podlift fix again`);
      }
    } else if (change.kind === "sysctl") {
      const now = await host.readSysctl(change.key);
      if (now !== change.before)
        throw new PlanOutdated(`${change.key} changed since the plan was made (now ${now})`);
    }
  }
}

export async function applyPlans(
  host: WritableHost,
  store: JournalStore,
  journal: Journal,
  plans: Plan[],
): Promise<ApplyOutcome[]> {
  const writer = host.writer();
  const outcomes: ApplyOutcome[] = [];
  for (const plan of plans) {
    try {
      await precheck(host, plan);
    } catch (error) {
      outcomes.push({ fixId: plan.fixId, status: "refused", error: (error as Error).message });
      continue;
    }
    const record: JournalFix = { fixId: plan.fixId, status: "applying", entries: [] };
    journal.fixes.push(record);
    await store.save(journal);
    try {
      for (const change of plan.changes) await applyChange(host, writer, store, journal, record, change);
      record.status = "applied";
      await store.save(journal);
      outcomes.push({ fixId: plan.fixId, status: "applied" });
    } catch (error) {
      record.error = (error as Error).message;
      const problems = await revertEntries(host, store, journal.id, record.entries, true);
      record.status = "rolled-back";
      if (problems.length > 0) record.error += `; rollback: ${problems.join("; ")}`;
      await store.save(journal);
      outcomes.push({ fixId: plan.fixId, status: "rolled-back", error: record.error });
    }
  }
  return outcomes;
}

async function backupFile(
  host: WritableHost,
  writer: HostWriter,
  store: JournalStore,
  journal: Journal,
  path: string,
): Promise<JournalEntry> {
  const [bytes, info] = await Promise.all([writer.readBytes(path), host.stat(path)]);
  let backup: string | null = null;
  if (bytes !== null) {
    backup = `${journal.fixes.flatMap((f) => f.entries).length}-${path.replaceAll("/", "_")}`;
    await store.saveBackup(journal.id, backup, bytes);
  }
  return {
    kind: "file",
    path,
    backup,
    mode: info?.mode ?? null,
    uid: info?.uid ?? null,
    gid: info?.gid ?? null,
    afterSha256: null,
  };
}

async function applyChange(
  host: WritableHost,
  writer: HostWriter,
  store: JournalStore,
  journal: Journal,
  record: JournalFix,
  change: Change,
): Promise<void> {
  switch (change.kind) {
    case "write-file": {
      const entry = await backupFile(host, writer, store, journal, change.path);
      // Journal before writing: a kill after the rename still leaves a way back. The folders the
      // write will create are journalled too (as foreseen now, then as the writer reports them),
      // so undo can remove them again and never one that was there before.
      if (entry.kind === "file") {
        const missing = await missingFolders(host, change.path);
        if (missing.length > 0) entry.createdDirs = missing;
      }
      record.entries.push(entry);
      await store.save(journal);
      const report = await writer.writeFile(change.path, change.after, change.mode, change.owner);
      if (entry.kind === "file") {
        entry.afterSha256 = sha256(change.after);
        if (report) {
          if (report.createdDirs.length > 0) entry.createdDirs = report.createdDirs;
          else delete entry.createdDirs;
        }
      }
      await store.save(journal);
      return;
    }
    case "sysctl": {
      record.entries.push({ kind: "sysctl", key: change.key, before: change.before });
      await store.save(journal);
      await writer.writeSysctl(change.key, change.after);
      return;
    }
    case "command": {
      const touched: JournalEntry[] = [];
      for (const path of change.touches ?? [])
        touched.push(await backupFile(host, writer, store, journal, path));
      // Journalled before it runs, so a kill mid-command still leaves the way back.
      const entry: JournalEntry = {
        kind: "command",
        argv: change.argv,
        user: change.user,
        undo: change.undo,
      };
      record.entries.push(...touched, entry);
      await store.save(journal);
      const r = await host.run(change.argv, { user: change.user, timeoutMs: 120000 });
      for (const entry of touched) {
        if (entry.kind === "file") {
          const after = await writer.readBytes(entry.path);
          entry.afterSha256 = after === null ? null : sha256(after);
        }
      }
      if (r.exitCode !== 0) {
        // A command that failed changed nothing to reverse: its undo must not run in the rollback.
        record.entries.splice(record.entries.indexOf(entry), 1);
        await store.save(journal);
        throw new Error(
          `\`${change.argv.join(" ")}\` failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`,
        );
      }
      await store.save(journal);
      return;
    }
  }
}

/** The folders above a file that do not exist yet, outermost first (what mkdir -p would make). */
async function missingFolders(host: WritableHost, file: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = parent(file); dir !== "/" && dir !== ""; dir = parent(dir)) {
    if ((await host.lstat(dir)) !== null) break;
    missing.unshift(dir);
  }
  return missing;
}

function parent(p: string): string {
  const i = p.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

/**
 * Removes the folders a write created, deepest first, each only if it is empty now: one that
 * holds anything (someone else's file) stays, and so do the folders above it.
 */
async function removeCreatedDirs(writer: HostWriter, dirs: string[]): Promise<void> {
  if (!writer.removeEmptyDir) return;
  // rmdir removes only an empty folder, so a folder holding anything (and every folder above
  // it) stays; one already gone is passed over.
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await writer.removeEmptyDir(dir);
}

/**
 * Puts entries back in reverse order. A file someone edited after podlift wrote it is left alone
 * (and reported) unless `force`; rollback of a fix that just failed always forces.
 */
export async function revertEntries(
  host: WritableHost,
  store: JournalStore,
  runId: string,
  entries: JournalEntry[],
  force: boolean,
): Promise<string[]> {
  const writer = host.writer();
  const problems: string[] = [];
  for (const entry of [...entries].reverse()) {
    try {
      if (entry.kind === "file") {
        const now = await writer.readBytes(entry.path);
        const nowSha = now === null ? null : sha256(now);
        if (!force && entry.afterSha256 !== null && nowSha !== entry.afterSha256) {
          problems.push(
            `${entry.path} was changed after podlift wrote it; left as it is (use --force to restore anyway)`,
          );
          continue;
        }
        if (entry.backup === null) {
          await writer.removeFile(entry.path);
          await removeCreatedDirs(writer, entry.createdDirs ?? []);
        } else {
          const bytes = await store.backup(runId, entry.backup);
          if (bytes === null) throw new Error(`backup ${entry.backup} is missing`);
          const owner =
            entry.uid !== null && entry.gid !== null ? { uid: entry.uid, gid: entry.gid } : undefined;
          await writer.writeFile(
            entry.path,
            bytes,
            entry.mode ?? 0o644,
            host.isLive && host.currentUser().uid !== 0 ? undefined : owner,
          );
        }
      } else if (entry.kind === "sysctl") {
        if (entry.before !== null) await writer.writeSysctl(entry.key, entry.before);
      } else if (entry.undo) {
        const r = await host.run(entry.undo, { user: entry.user, timeoutMs: 60000 });
        if (r.exitCode !== 0)
          problems.push(`\`${entry.undo.join(" ")}\` failed: ${r.stderr.trim().slice(0, 200)}`);
      }
    } catch (error) {
      problems.push(
        `${entry.kind === "command" ? entry.argv.join(" ") : entry.kind === "file" ? entry.path : entry.key}: ${(error as Error).message}`,
      );
    }
  }
  return problems;
}
