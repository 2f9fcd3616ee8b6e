// The errors a command can end with, and the exit code each one means: the one place the
// exit-code contract (README, "Exit codes") meets error types. Anything else is an internal error.
import { EXIT } from "./doctor/exit-code.js";

/** An error podlift expects and explains in one line: no stack trace, its own exit code. */
export class PodliftError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** What was asked cannot be done as asked (a flag, a path, a file podlift was pointed at): exit 2. */
export class UsageError extends PodliftError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** The host refused or failed what was asked (a lock held, an engine's error, a file changed): exit 1. */
export class HostError extends PodliftError {
  constructor(message: string) {
    super(message, EXIT.failed);
  }
}

/**
 * A run stopped by SIGTERM or SIGHUP once its commands were stopped and cleaned up: the CLI
 * writes nothing more and ends podlift by that signal (143 or 129 should it survive it).
 */
export class EndedBySignal extends PodliftError {
  constructor(readonly signal: "SIGTERM" | "SIGHUP") {
    super(`ended by ${signal}`, signal === "SIGTERM" ? 143 : 129);
  }
}
