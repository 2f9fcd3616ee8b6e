// Temporary files a killed podlift left behind. An atomic write puts its content in
// `.<name>.podlift-<pid>-<ms>` beside the target and renames it over; a SIGKILL between the two
// leaves that file. The next fix or undo removes the ones that are podlift's: in the folders of
// the files its journals touched and in its own state folder, named by that pattern, regular
// files only, and only when the process that made them is gone.
import type { WritableHost } from "../host/types.js";
import { isAlive, type JournalStore } from "./journal.js";

/** The name writeFileAtomic (src/host/atomic.ts, tempNameFor) gives a temporary file: the contract. */
export const TEMP_NAME = /^\.(.+)\.podlift-(\d+)-(\d+)$/;

export function tempOwner(name: string): number | null {
  const m = TEMP_NAME.exec(name);
  if (!m) return null;
  const pid = Number(m[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

const folderOf = (p: string) => p.slice(0, Math.max(p.lastIndexOf("/"), 1));

/** The folders podlift writes in: its state folder and runs, and the folders of journalled files. */
async function folders(store: JournalStore): Promise<string[]> {
  const dirs = new Set<string>([store.dir, `${store.dir}/runs`]);
  for (const { id, journal } of await store.all()) {
    dirs.add(`${store.dir}/runs/${id}`);
    dirs.add(`${store.dir}/runs/${id}/backups`);
    for (const fix of journal?.fixes ?? []) {
      for (const entry of fix.entries) {
        if (entry.kind === "file" && entry.path.startsWith("/")) dirs.add(folderOf(entry.path));
      }
    }
  }
  return [...dirs];
}

/** Removes stale temporary files; returns their host paths. Never throws for one file. */
export async function removeStaleTemps(host: WritableHost, store: JournalStore): Promise<string[]> {
  const writer = host.writer();
  const removed: string[] = [];
  for (const dir of await folders(store)) {
    const names = await host.listDir(dir).catch(() => null);
    for (const name of names ?? []) {
      const pid = tempOwner(name);
      if (pid === null || pid === process.pid || isAlive(pid)) continue;
      const file = `${dir === "/" ? "" : dir}/${name}`;
      try {
        if ((await host.lstat(file))?.type !== "file") continue;
        await writer.removeFile(file);
        removed.push(file);
      } catch {
        // Left for next time: cleaning up must never stop a fix or an undo.
      }
    }
  }
  return removed;
}
