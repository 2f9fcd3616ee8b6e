// The result of a command that never started: not installed, not allowed, not in a fixture.
import type { CommandResult } from "./types.js";

export function notStarted(argv: readonly string[], why: string, notFound = false): CommandResult {
  return {
    argv,
    exitCode: 127,
    stdout: "",
    stderr: why,
    durationMs: 0,
    timedOut: false,
    failedToStart: why,
    notFound,
  };
}
