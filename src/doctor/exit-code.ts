// The exit-code contract (README, "Exit codes"): CI pipelines branch on these numbers.
import type { CheckStatus } from "./types.js";

export const EXIT = { ok: 0, failed: 1, usage: 2, checkError: 3, interrupted: 130 } as const;

/**
 * A fail outranks an error: the host is known not to be ready, whatever the checks that could
 * not run would have said. An error outranks a warn, since the verdict is incomplete.
 */
export function exitCodeFor(
  summary: Record<CheckStatus, number>,
  failOn: "warn" | "fail",
  interrupted: boolean,
) {
  if (interrupted) return EXIT.interrupted;
  if (summary.fail > 0) return EXIT.failed;
  if (summary.error > 0) return EXIT.checkError;
  if (failOn === "warn" && summary.warn > 0) return EXIT.failed;
  return EXIT.ok;
}
