// What a fix run changed, kept under the state folder so `podlift undo` can put every file back
// byte for byte: $XDG_STATE_HOME/podlift (~/.local/state/podlift), or /var/lib/podlift for root.
// The journal is rewritten (atomically) after every change, so a run killed halfway can be undone.
// Journals are read only from that folder, by run ids it lists: never from a path a user names.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { HostError } from "../errors.js";
import type { Host, HostWriter } from "../host/types.js";
import { safeLine } from "../text/safe-text.js";

export type JournalEntry =
  | {
      kind: "file";
      path: string;
      /** Backup file name under the run folder; null when the file did not exist before. */
      backup: string | null;
      mode: number | null;
      uid: number | null;
      gid: number | null;
      /** SHA-256 of what podlift left there, to refuse undoing over someone else's later edit. */
      afterSha256: string | null;
      /**
       * Folders podlift created to write the file (outermost first): undo removes each one that
       * is empty again, deepest first. Absent in journals older than this field.
       */
      createdDirs?: string[];
    }
  | { kind: "sysctl"; key: string; before: string | null }
  | { kind: "command"; argv: string[]; user?: string; undo?: string[] };

export interface JournalFix {
  fixId: string;
  status: "applying" | "applied" | "rolled-back" | "verified" | "unverified";
  entries: JournalEntry[];
  error?: string;
}

export interface Journal {
  id: string;
  startedAt: string;
  user: string;
  fixes: JournalFix[];
  undoneAt?: string;
}

/** A run id as newId makes them: UTC time to the second, a dash, a short random suffix. */
export const RUN_ID = /^\d{8}T\d{6}Z-[a-z0-9]{1,12}$/;

export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** A backup's file name inside its run folder: one plain name, never a path. */
const BACKUP_NAME = /^[^/\0]+$/;

export function stateDir(host: Host): string {
  const me = host.currentUser();
  if (me.uid === 0) return "/var/lib/podlift";
  return `${host.env("XDG_STATE_HOME") ?? `${me.home}/.local/state`}/podlift`;
}

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A held lock: call it to release. */
export type FixLock = (() => Promise<void>) & {
  /** The lock file as this process sees it (under --root, the path on this machine). */
  readonly path: string;
  /** True while the lock file is still this holder's (nobody broke it). */
  held(): Promise<boolean>;
  /** Set when a stale lock (its process gone) was taken over: what was done, for the user. */
  readonly recovered: string | null;
};

interface LockRecord {
  pid: number;
  token: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22). */
  start?: string;
  bootId?: string;
  pidNamespace?: string;
  startedAt?: string;
}

export class JournalStore {
  readonly dir: string;
  constructor(
    private readonly host: Host,
    private readonly writer: HostWriter,
  ) {
    this.dir = stateDir(host);
  }

  newId(): string {
    return `${new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
  }

  /** A host path as the user finds it on this machine: under --root, the root is put in front. */
  shown(hostPath: string): string {
    return this.host.root === "/" ? hostPath : `${this.host.root}${hostPath}`;
  }

  private runDir(runId: string): string {
    if (!isRunId(runId)) throw new Error(`not a fix run id: ${safeLine(runId)}`);
    return `${this.dir}/runs/${runId}`;
  }

  async save(journal: Journal): Promise<void> {
    await this.writer.writeFile(
      `${this.runDir(journal.id)}/journal.json`,
      `${JSON.stringify(journal, null, 2)}\n`,
      0o600,
    );
  }

  async saveBackup(runId: string, name: string, bytes: Buffer): Promise<void> {
    if (!BACKUP_NAME.test(name) || name === "." || name === "..") throw new Error("bad backup name");
    await this.writer.writeFile(`${this.runDir(runId)}/backups/${name}`, bytes, 0o600);
  }

  backup(runId: string, name: string): Promise<Buffer | null> {
    if (!BACKUP_NAME.test(name) || name === "." || name === "..")
      throw new Error(`backup name ${safeLine(name)} is not a plain file name`);
    return this.writer.readBytes(`${this.runDir(runId)}/backups/${name}`);
  }

  /**
   * The journal of one listed run, or null when there is no such run. Only an id from list()
   * is read: a path (`../../tmp/x`) or an id naming no run folder of podlift's own is not.
   */
  async load(runId: string): Promise<Journal | null> {
    if (!isRunId(runId) || !(await this.list()).includes(runId)) return null;
    return this.read(runId);
  }

  private async read(runId: string): Promise<Journal | null> {
    const file = `${this.runDir(runId)}/journal.json`;
    if ((await this.host.lstat(file))?.type !== "file") return null;
    const text = await this.host.readFile(file);
    if (text === null) return null;
    const journal = JSON.parse(text) as Journal;
    if (journal.id !== runId)
      throw new Error(`${this.shown(file)} names another run (${safeLine(String(journal.id))})`);
    return journal;
  }

  /** Run ids, oldest first (ids sort by time): real folders under runs/ named like a run id. */
  async list(): Promise<string[]> {
    const names = (await this.host.listDir(`${this.dir}/runs`)) ?? [];
    const ids: string[] = [];
    for (const name of names.filter(isRunId)) {
      if ((await this.host.lstat(`${this.dir}/runs/${name}`))?.type === "dir") ids.push(name);
    }
    return ids.sort();
  }

  /** Every listed run with its journal (null when it cannot be read), oldest first. */
  async all(): Promise<{ id: string; journal: Journal | null }[]> {
    const out: { id: string; journal: Journal | null }[] = [];
    for (const id of await this.list()) out.push({ id, journal: await this.read(id).catch(() => null) });
    return out;
  }

  /** The newest run that changed something and was not undone yet. */
  async latestUndoable(): Promise<Journal | null> {
    for (const id of (await this.list()).reverse()) {
      const journal = await this.read(id).catch(() => null);
      if (
        journal &&
        !journal.undoneAt &&
        journal.fixes.some((f) => f.status !== "rolled-back" && f.entries.length > 0)
      ) {
        return journal;
      }
    }
    return null;
  }

  /**
   * One fix run at a time: a second waits for nothing and refuses, naming the holder and the
   * lock file. A lock whose process is gone (dead pid, or a reboot since) is taken over, and the
   * returned lock says so; one held from another pid namespace (another container) is not
   * guessed at: the message says how to remove it.
   */
  async lock(): Promise<FixLock> {
    const path = `${this.dir}/lock`;
    const where =
      this.host.root === "/"
        ? path
        : `${this.host.root}${path}, that is ${path} under --root ${this.host.root}`;
    const me = ownRecord();
    const mine = `${JSON.stringify(me)}\n`;
    let recovered: string | null = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.writer.createExclusive(path, mine)) {
        const held = async () => parseLock((await this.host.readFile(path)) ?? "")?.token === me.token;
        const release = async () => {
          // Only our own lock: never one another run took after ours was broken.
          if (await held()) await this.writer.removeFile(path);
        };
        return Object.assign(release, { path: this.shown(path), held, recovered });
      }
      const text = await this.host.readFile(path);
      if (text === null) continue; // released meanwhile: try again
      const holder = parseLock(text);
      const verdict = holder === null ? { stale: false, why: "unreadable" } : staleness(holder, me);
      if (!verdict.stale) {
        if (holder === null)
          throw new LockedError(
            `the lock file holds no process id; if no podlift fix or undo is running, remove it (lock file: ${where})`,
          );
        throw new LockedError(
          verdict.why === "other-namespace"
            ? `another podlift fix or undo may be running (pid ${holder.pid} in another pid namespace, such as another container); if none is running, remove the lock file (lock file: ${where})`
            : `another podlift fix or undo is running (pid ${holder.pid}); wait for it to finish (lock file: ${where})`,
        );
      }
      if (await this.takeOver(path, text)) {
        recovered = `took over a stale lock left by pid ${holder?.pid}: ${verdict.why} (lock file: ${where})`;
      }
    }
    throw new LockedError(`cannot take the lock; try again (lock file: ${where})`);
  }

  /**
   * Moves a stale lock aside and removes it, only if it is still the one judged stale: two runs
   * finding the same stale lock must not remove each other's fresh one. False when it changed.
   */
  private async takeOver(path: string, staleText: string): Promise<boolean> {
    if (!this.writer.rename) {
      await this.writer.removeFile(path);
      return true;
    }
    const base = path.slice(path.lastIndexOf("/") + 1);
    const aside = `${path.slice(0, path.lastIndexOf("/"))}/.${base}.podlift-${process.pid}-${uniqueNow()}`;
    try {
      await this.writer.rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false; // someone else took it
      throw error;
    }
    const moved = (await this.host.readFile(aside)) ?? "";
    if (moved !== staleText) {
      // A fresh lock another run took just now: put it back (link fails if a third run got in).
      await this.writer.createExclusive(path, moved);
      await this.writer.removeFile(aside);
      return false;
    }
    await this.writer.removeFile(aside);
    return true;
  }
}

export class LockedError extends HostError {}

let lastStamp = 0;

/** Date.now(), but never the same value twice in this process (names set aside stay unique). */
function uniqueNow(): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp;
}

function parseLock(text: string): LockRecord | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), token: "" }; // older podlift: a bare pid
  try {
    const record = JSON.parse(trimmed) as LockRecord;
    return Number.isInteger(record.pid) && record.pid > 0 && typeof record.token === "string" ? record : null;
  } catch {
    return null;
  }
}

/** Whether a lock's holder is certainly gone, and why (or why it cannot be told). */
function staleness(holder: LockRecord, me: LockRecord): { stale: boolean; why: string } {
  if (holder.bootId && me.bootId && holder.bootId !== me.bootId)
    return { stale: true, why: "the machine restarted since" };
  if (holder.pidNamespace && me.pidNamespace && holder.pidNamespace !== me.pidNamespace)
    return { stale: false, why: "other-namespace" };
  if (!isAlive(holder.pid)) return { stale: true, why: "that process is not running" };
  // The pid is in use, but by a later process than the one that took the lock.
  const start = holder.start ? processStart(holder.pid) : null;
  if (start !== null && start !== holder.start)
    return { stale: true, why: "that process is not running; its pid was reused" };
  return { stale: false, why: "running" };
}

function ownRecord(): LockRecord {
  return {
    pid: process.pid,
    token: randomBytes(8).toString("hex"),
    start: processStart(process.pid) ?? undefined,
    bootId: readProc("/proc/sys/kernel/random/boot_id") ?? undefined,
    pidNamespace: linkOf("/proc/self/ns/pid") ?? undefined,
    startedAt: new Date().toISOString(),
  };
}

// This process and its peers, not the host under --root: read from this machine's /proc.
function readProc(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

function linkOf(file: string): string | null {
  try {
    return readlinkSync(file);
  } catch {
    return null;
  }
}

function processStart(pid: number): string | null {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Fields after the command name (which may hold spaces and parentheses); starttime is field 22.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

/** True when a process with this pid exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
