// The commands the single file's head started before podlift loaded (scripts/head-early.cjs):
// a doctor run's `podman info` (the target's) and the canary's first containers.
// LiveHost.run takes one over when it is asked for the very same command, as the same user with
// the same extra environment, on the live root; from then on it is any other command of the run:
// tracked (killed with its group if podlift exits), held to its deadline counted from when it
// really started, ended by the run's abort signal.
import type { ChildProcess } from "node:child_process";
import { guardCommand } from "./process-group.js";
import { removedAtExit } from "./temp-tree.js";
import type { CommandResult, RunOptions, TempTree } from "./types.js";

interface EarlyRun {
  argv: string[];
  /** Run as this user (a rootless target), with this extra environment: what LiveHost.run is asked. */
  user?: string;
  env?: Record<string, string>;
  /** PODLIFT_CHILD in its environment, as process-group.ts gives every command. */
  marker: string;
  child: ChildProcess;
  startedAt: number;
  out: Buffer[];
  err: Buffer[];
  overflow: boolean;
  done: Promise<{ code?: number | null; signal?: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>;
}

/** A canary container the head started: `podman run --rm --name <name> --label … --rootfs <tree> …`. */
interface EarlyCanary {
  /** Started as this user (a rootless target); podlift's own user when absent. */
  user?: string;
  tree: string;
  name: string;
  env?: Record<string, string>;
}

declare global {
  // Set by the single file's head; undefined everywhere else (tests, the module build).
  var __podliftEarly:
    | {
        started: EarlyRun[];
        canaries?: EarlyCanary[];
        /**
         * The commands LiveHost.run was asked for and had no early run of (earlyKey): the head,
         * whose PATH lookups may answer after that, starts none of them then (it would run
         * twice, the second time with no deadline but podlift's exit).
         */
        missed?: Set<string>;
        /** PATH folders whose lookup did not answer in time (the head's): left to spawn's own. */
        slowDirs?: Set<string>;
      }
    | undefined;
}

/** The key of a command as the head and LiveHost.run both name it: argv, user, extra env. */
function earlyKey(argv: readonly string[], user: string, env: Record<string, string> | undefined): string {
  return JSON.stringify([argv, user, env ?? {}]);
}

/**
 * The canary the head started for `user` (undefined: podlift's own user), if nothing took it yet:
 * its tree (removed by cleanup, as the head no longer does), its container's name and the
 * environment its run got. Its `podman run` is then taken over by LiveHost.run as any other early
 * command. Only for the live root: the caller checks.
 */
export function takeEarlyCanary(
  user: string | undefined,
): { tree: TempTree; name: string; env: Record<string, string> | undefined } | null {
  const canaries = globalThis.__podliftEarly?.canaries;
  const i = canaries?.findIndex((c) => c.user === user) ?? -1;
  if (!canaries || i < 0) return null;
  const [c] = canaries.splice(i, 1) as [EarlyCanary];
  return {
    tree: removedAtExit(c.tree),
    name: c.name,
    env: c.env,
  };
}

/**
 * The early run of exactly this command, for the same user with the same extra environment, if
 * the head started one and nothing took it yet; null otherwise. The caller (LiveHost.run) makes
 * sure the root is the live "/" and no input is given; `me` is who runs podlift.
 */
export function takeEarlyRun(
  argv: readonly string[],
  options: RunOptions,
  me: string,
  defaultTimeoutMs: number,
): Promise<CommandResult> | null {
  const early = globalThis.__podliftEarly;
  if (!early) return null;
  const user = options.user ?? me;
  const env = JSON.stringify(options.env ?? {});
  const i = early.started.findIndex(
    (r) =>
      r.argv.length === argv.length &&
      r.argv.every((a, k) => a === argv[k]) &&
      (r.user ?? me) === user &&
      JSON.stringify(r.env ?? {}) === env,
  );
  if (i < 0) {
    early.missed?.add(earlyKey(argv, user, options.env));
    return null;
  }
  const [run] = early.started.splice(i, 1) as [EarlyRun];
  return finish(run, argv, options.timeoutMs ?? defaultTimeoutMs, options.signal, options.stopGraceMs);
}

async function finish(
  run: EarlyRun,
  argv: readonly string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
  stopGraceMs: number | undefined,
): Promise<CommandResult> {
  // Taken: from now on it keeps podlift alive like any command it waits for (the head started it
  // unreferenced), else a run whose end never came would let Node end quietly, with no report.
  run.child.ref();
  for (const stream of [run.child.stdout, run.child.stderr]) (stream as { ref?: () => void } | null)?.ref?.();
  // Its deadline counts from when the head started it.
  const guard = guardCommand({
    pid: run.child.pid,
    marker: run.marker,
    timeoutMs: timeoutMs - (performance.now() - run.startedAt),
    signal,
    // counted from when the head started it, as its deadline
    stopGraceMs,
    startedAt: run.startedAt,
    // Whatever still holds its pipes open after the kill (nothing should) must not keep us
    // waiting (LiveHost.run's rule).
    afterKill: () =>
      setTimeout(() => {
        run.child.stdout?.destroy();
        run.child.stderr?.destroy();
      }, 1000).unref(),
  });
  let end: Awaited<EarlyRun["done"]>;
  try {
    end = await run.done;
  } finally {
    guard.release();
  }
  const timedOut = guard.timedOut;
  const notFound = end.error?.code === "ENOENT";
  const failed = end.error && !notFound ? `${argv[0]}: ${end.error.message}` : undefined;
  const stderr = Buffer.concat(run.err).toString("utf8");
  return {
    argv,
    exitCode: notFound ? 127 : timedOut || run.overflow ? null : (end.code ?? null),
    stdout: Buffer.concat(run.out).toString("utf8"),
    stderr: run.overflow ? `${stderr}\n${argv[0]}: more than 8 MiB of output; stopped it` : stderr,
    durationMs: Math.round(performance.now() - run.startedAt),
    timedOut,
    failedToStart: notFound ? `${argv[0]}: command not found` : failed,
    notFound,
  };
}
