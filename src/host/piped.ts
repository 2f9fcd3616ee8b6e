// Processes wired fd to fd (a volume copy's tars), so bytes flow from the source's tar
// into the target's tar without passing through Node (the parent keeps no copy of a pipe it
// handed on: when one end dies the other gets EOF or EPIPE at once, never a pipe nobody reads).
// Each process runs in its own process group, tracked like host.run/spawn so that an exiting
// podlift takes it along. Why not host.spawn: it copies every byte through two PassThroughs.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { killTree, newMarker, track, untrack } from "./process-group.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Standard error, bounded: the first lines and a count of those left out. */
  stderr: string;
  stderrLines: string[];
  droppedLines: number;
}

export interface Piped {
  argv: readonly string[];
  pid: number | undefined;
  stdin: Writable | null;
  stdout: Readable | null;
  exited: Promise<Exit>;
  done: boolean;
  kill(): Promise<void>;
}

export interface PipedSpec {
  argv: readonly string[];
  uid?: number;
  gid?: number;
  env?: Record<string, string | undefined>;
  /** "pipe" for Node to write, or the stdout of a process started earlier (handed on, then closed here). */
  stdin: "ignore" | "pipe" | Readable;
  stdout: "ignore" | "pipe";
  signal?: AbortSignal;
}

const MAX_LINES = 400;

/** Starts one process of a pipeline. Never throws: a start failure is an exit with code 127. */
export function spawnPiped(spec: PipedSpec): Piped {
  const marker = newMarker();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...spec.env, PODLIFT_CHILD: marker }))
    if (v !== undefined) env[k] = v;
  const stdio: (string | Readable)[] = [spec.stdin, spec.stdout, "pipe"];
  let child: ChildProcess;
  try {
    child = spawn(spec.argv[0] as string, spec.argv.slice(1), {
      detached: true,
      env,
      uid: spec.uid,
      gid: spec.gid,
      cwd: spec.uid === undefined ? undefined : "/",
      stdio: stdio as never,
    });
  } catch (error) {
    return failed(spec, (error as Error).message);
  }
  // The handed-on pipe now belongs to this child alone.
  if (typeof spec.stdin === "object") spec.stdin.destroy();
  if (child.pid !== undefined) track(marker, child.pid);
  const lines: string[] = [];
  let dropped = 0;
  let partial = "";
  child.stderr?.setEncoding("latin1");
  child.stderr?.on("data", (text: string) => {
    const parts = (partial + text).split("\n");
    partial = parts.pop() ?? "";
    for (const l of parts) {
      if (lines.length < MAX_LINES) lines.push(l);
      else dropped++;
    }
  });
  child.stdin?.on("error", () => {}); // a reader that died: the exit code tells
  const piped: Piped = {
    argv: spec.argv,
    pid: child.pid,
    stdin: child.stdin,
    stdout: child.stdout,
    done: false,
    exited: new Promise<Exit>((resolve) => {
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        piped.done = true;
        untrack(marker);
        spec.signal?.removeEventListener("abort", onAbort);
        if (partial) lines.length < MAX_LINES ? lines.push(partial) : dropped++;
        resolve({ code, signal, stderr: lines.join("\n"), stderrLines: lines, droppedLines: dropped });
      };
      child.on("error", (error: NodeJS.ErrnoException) => {
        lines.push(error.message);
        finish(error.code === "ENOENT" ? 127 : 126, null);
      });
      child.on("close", finish);
    }),
    kill: () => (piped.done ? Promise.resolve() : killTree(child.pid, marker)),
  };
  const onAbort = () => void piped.kill();
  if (spec.signal?.aborted) onAbort();
  else spec.signal?.addEventListener("abort", onAbort, { once: true });
  return piped;
}

function failed(spec: PipedSpec, why: string): Piped {
  return {
    argv: spec.argv,
    pid: undefined,
    stdin: null,
    stdout: null,
    done: true,
    exited: Promise.resolve({ code: 127, signal: null, stderr: why, stderrLines: [why], droppedLines: 0 }),
    kill: () => Promise.resolve(),
  };
}

/** Bytes a process has written so far (/proc/<pid>/io), or null when it cannot be read. */
export function bytesWritten(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "latin1"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** How a process ended, in words: "exit 2", "killed by SIGKILL". */
export function describeExit(exit: Exit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`;
}

/** Runs argv to its end with its whole standard output kept (for small outputs: getfattr's). */
export async function collectStdout(
  argv: string[],
  signal?: AbortSignal,
): Promise<{ stdout: Buffer; exit: Exit }> {
  const child = spawnPiped({ argv, stdin: "ignore", stdout: "pipe", signal });
  const chunks: Buffer[] = [];
  child.stdout?.on("data", (c: Buffer) => chunks.push(c));
  const exit = await child.exited;
  return { stdout: Buffer.concat(chunks), exit };
}
