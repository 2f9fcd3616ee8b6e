// Every command podlift starts runs in its own process group (a new session), and at its deadline
// the whole group is killed: TERM, then KILL after a grace period. A child's children die with it
// (a `podman` wrapper's `sleep`, a process that ignores TERM). A grandchild that left the group
// with setsid is found by a marker in its environment, which every descendant inherits, and killed
// too. Commands still running when podlift exits are killed the same way, so none outlives it.
import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

export const GRACE_MS = 500;

let counter = 0;
const live = new Map<string, number>();
let exitHookInstalled = false;
/** Set while a caller stops its own commands on SIGTERM and SIGHUP (deferSignals). */
let deferred = false;

/**
 * While `on`, SIGTERM and SIGHUP do not kill every command at once: the caller (a doctor run)
 * stops its commands itself, lets their cleanups finish (the canary's removal of a container
 * whose run it killed), turns this off and raises the signal again.
 */
export function deferSignals(on: boolean): void {
  deferred = on;
}

/** A fresh marker for one command: `PODLIFT_CHILD=<marker>` goes into its environment. */
export function newMarker(): string {
  return `${process.pid}-${++counter}`;
}

/** Remembers a running command's group so an exiting podlift can kill it. */
export function track(marker: string, pid: number): void {
  live.set(marker, pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", killAllSync);
    // Killed from outside (`timeout 10 podlift doctor`, a closed terminal): take the commands
    // along, then die of the same signal as if no handler were there.
    for (const signal of ["SIGTERM", "SIGHUP"] as const) {
      const onSignal = () => {
        if (deferred) return;
        killAllSync();
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      };
      process.on(signal, onSignal);
    }
  }
}

/** Synchronous by necessity: the process is going away. */
function killAllSync(): void {
  for (const [marker, groupId] of live) {
    signalGroup(groupId, "SIGKILL");
    for (const pid of markedPidsSync(marker)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

export function untrack(marker: string): void {
  live.delete(marker);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Pids whose environment carries this marker (those that left the group with setsid). */
export async function markedPids(marker: string): Promise<number[]> {
  const needle = Buffer.from(`PODLIFT_CHILD=${marker}\0`);
  const found: number[] = [];
  const entries = await readdir("/proc").catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const pid = Number(e);
        if (pid === process.pid) return;
        // /proc/<pid>/environ is a regular procfs file: it never blocks.
        const env = await readFile(`/proc/${e}/environ`).catch(() => null);
        if (env?.includes(needle)) found.push(pid);
      }),
  );
  return found;
}

function markedPidsSync(marker: string): number[] {
  const needle = Buffer.from(`PODLIFT_CHILD=${marker}\0`);
  const found: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`).includes(needle)) found.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Kills a command's group and every process carrying its marker: TERM, grace, KILL. */
export async function killTree(pid: number | undefined, marker: string): Promise<void> {
  const signalAll = async (signal: NodeJS.Signals) => {
    if (pid !== undefined) signalGroup(pid, signal);
    for (const p of await markedPids(marker)) {
      try {
        process.kill(p, signal);
      } catch {
        // gone
      }
    }
  };
  await signalAll("SIGTERM");
  await new Promise((r) => setTimeout(r, GRACE_MS));
  await signalAll("SIGKILL");
}

/**
 * Holds a started command to its deadline and to an abort signal: either kills its whole group
 * (killTree), once; `afterKill` runs when the group is gone. Tracked for podlift's exit until
 * `release()`, which the caller runs once the command has ended.
 */
export function guardCommand(options: {
  pid: number | undefined;
  marker: string;
  timeoutMs: number;
  signal?: AbortSignal;
  afterKill?: () => void;
  /** RunOptions.stopGraceMs, counted from `startedAt` (performance.now() when it started). */
  stopGraceMs?: number;
  startedAt?: number;
}): { readonly timedOut: boolean; release(): void } {
  const { pid, marker, signal } = options;
  if (pid !== undefined) track(marker, pid);
  let timedOut = false;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void killTree(pid, marker).then(options.afterKill);
  };
  const timer = setTimeout(
    () => {
      timedOut = true;
      stop();
    },
    Math.max(0, options.timeoutMs),
  );
  let grace: NodeJS.Timeout | undefined;
  const told = () => {
    const left = (options.startedAt ?? performance.now()) + (options.stopGraceMs ?? 0) - performance.now();
    if (left <= 0) stop();
    else grace = setTimeout(stop, left);
  };
  if (signal?.aborted) told();
  else signal?.addEventListener("abort", told, { once: true });
  return {
    get timedOut() {
      return timedOut;
    },
    release() {
      clearTimeout(timer);
      clearTimeout(grace);
      signal?.removeEventListener("abort", told);
      untrack(marker);
    },
  };
}
