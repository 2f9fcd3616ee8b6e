// What a fix run changed, kept under the state folder so `podlift undo` can put every file back
// byte for byte: $XDG_STATE_HOME/podlift (~/.local/state/podlift), or /var/lib/podlift for root.
// The journal is rewritten (atomically) after every change, so a run killed halfway can be undone.
import { createHash } from "node:crypto";
import type { Host, HostWriter } from "../host/types.js";

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

export function stateDir(host: Host): string {
  const me = host.currentUser();
  if (me.uid === 0) return "/var/lib/podlift";
  return `${host.env("XDG_STATE_HOME") ?? `${me.home}/.local/state`}/podlift`;
}

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

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
      .replace(/\.\d+Z$/, "Z")}-${Math.random().toString(36).slice(2, 6)}`;
  }

  async save(journal: Journal): Promise<void> {
    await this.writer.writeFile(
      `${this.dir}/runs/${journal.id}/journal.json`,
      `${JSON.stringify(journal, null, 2)}\n`,
      0o600,
    );
  }

  async saveBackup(runId: string, name: string, bytes: Buffer): Promise<void> {
    await this.writer.writeFile(`${this.dir}/runs/${runId}/backups/${name}`, bytes, 0o600);
  }

  backup(runId: string, name: string): Promise<Buffer | null> {
    return this.writer.readBytes(`${this.dir}/runs/${runId}/backups/${name}`);
  }

  async load(runId: string): Promise<Journal | null> {
    const text = await this.host.readFile(`${this.dir}/runs/${runId}/journal.json`);
    if (text === null) return null;
    return JSON.parse(text) as Journal;
  }

  /** Run ids, oldest first (ids sort by time). */
  async list(): Promise<string[]> {
    return ((await this.host.listDir(`${this.dir}/runs`)) ?? []).sort();
  }

  /** The newest run that changed something and was not undone yet. */
  async latestUndoable(): Promise<Journal | null> {
    for (const id of (await this.list()).reverse()) {
      const journal = await this.load(id).catch(() => null);
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

  /** One fix run at a time: a second waits for nothing and refuses, naming the holder. */
  async lock(): Promise<() => Promise<void>> {
    const path = `${this.dir}/lock`;
    const mine = `${process.pid}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.writer.createExclusive(path, mine)) return () => this.writer.removeFile(path);
      const holder = Number((await this.host.readFile(path))?.trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new LockedError(
          `another podlift fix or undo is running (pid ${holder}); wait for it to finish`,
        );
      }
      await this.writer.removeFile(path); // stale: its process is gone
    }
    throw new LockedError(`cannot take the lock ${path}`);
  }
}

export class LockedError extends Error {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
