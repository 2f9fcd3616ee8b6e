// Runs checks concurrently, each under its own deadline. A check that throws or runs out of
// time becomes status "error" for that check alone; the run itself always completes.
import { UnreadableFileError } from "../host/safe-read.js";
import type { Host } from "../host/types.js";
import type { Check, CheckResult, CheckStatus, Facts, Finding } from "./types.js";

export const DEFAULT_TIMEOUT_MS = 8000;

const SEVERITY: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3, error: 4 };

export function worstStatus(findings: readonly Finding[]): CheckStatus {
  let worst: CheckStatus = "pass";
  for (const f of findings) if (SEVERITY[f.status] > SEVERITY[worst]) worst = f.status;
  return worst;
}

export class CheckTimeout extends Error {
  /** The step that ran out of time, within a check with a long limit of its own. */
  step?: string;
}

/** Rejects with CheckTimeout when `work` takes longer than `ms` (a step within a long check). */
export async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const late = new CheckTimeout(`${what} did not finish within ${ms} ms`);
      late.step = what;
      reject(late);
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
export class Interrupted extends Error {}

/** The abort reason of a check's signal once the check has ended. */
const CHECK_FINISHED = new Error("the check finished");

export function skipped(check: Check, reason: string): CheckResult {
  return base(check, { status: "skip", findings: [], durationMs: 0, skipReason: reason });
}

export async function runCheck(
  check: Check,
  host: Host,
  facts: Facts,
  defaultTimeoutMs: number,
  interrupt?: AbortSignal,
): Promise<CheckResult> {
  const applies = check.applies(facts);
  if (applies !== true) return skipped(check, applies);
  const timeoutMs = Math.max(check.timeoutMs ?? 0, defaultTimeoutMs);
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let onInterrupt: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CheckTimeout(`timed out after ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
    onInterrupt = () => {
      reject(new Interrupted("interrupted"));
      controller.abort();
    };
    if (interrupt?.aborted) onInterrupt();
    else interrupt?.addEventListener("abort", onInterrupt, { once: true });
  });
  try {
    const findings = await Promise.race([
      check.run({ host, facts, signal: controller.signal, timeoutMs: defaultTimeoutMs }),
      deadline,
    ]);
    const elapsed = Math.round(performance.now() - started);
    return base(check, { status: worstStatus(findings), findings, durationMs: elapsed });
  } catch (error) {
    const elapsed = Math.round(performance.now() - started);
    if (error instanceof UnreadableFileError) {
      const finding = unreadableFinding(check, error);
      return base(check, { status: finding.status, findings: [finding], durationMs: elapsed });
    }
    const message = error instanceof Error ? error.message : String(error);
    const finding: Finding = {
      code: error instanceof CheckTimeout ? "check.timeout" : "check.error",
      status: "fail",
      message:
        error instanceof CheckTimeout
          ? `The check did not finish in time: ${message}.`
          : `The check could not run: ${message}`,
      evidence:
        error instanceof CheckTimeout
          ? error.step === undefined
            ? { timeoutMs }
            : { timeoutMs, step: error.step }
          : { error: message },
      remedy:
        error instanceof CheckTimeout
          ? "Something on the host is not answering (a hung command or socket). Run with --verbose, or raise --timeout."
          : "This is a podlift defect or an unexpected host state: please report it with `podlift doctor --format json`.",
    };
    return base(check, { status: "error", findings: [finding], durationMs: elapsed, error: message });
  } finally {
    clearTimeout(timer);
    if (onInterrupt) interrupt?.removeEventListener("abort", onInterrupt);
    // Ends whatever the check left running. With a reason given, no DOMException is built for
    // each of some thirty checks (its stack capture was ~6 ms of a doctor run's main thread).
    controller.abort(CHECK_FINISHED);
  }
}

/**
 * A file the check needs is a FIFO, a device, a folder, a loop or unreadable: that is the host's
 * state, reported as a finding (podman and shadow-utils trip over it too), never a read that hangs.
 */
export function unreadableFinding(check: Check, error: UnreadableFileError): Finding {
  const denied = error.kind === "permission";
  return {
    code: "host.unreadable-file",
    status: denied ? "warn" : "fail",
    message: `${error.message}, so "${check.title}" cannot be verified.`,
    evidence: { path: error.path, kind: error.kind },
    remedy: denied
      ? "Run podlift as root (sudo podlift doctor) so it can read the file."
      : error.kind === "too-large"
        ? "Check what wrote this file: it is far larger than such a file should be."
        : "Replace it with a regular file (or remove it if it should not exist): the tools that read it are blocked or misled by it too.",
  };
}

function base(check: Check, rest: Omit<CheckResult, "id" | "title" | "docs">): CheckResult {
  return { id: check.id, title: check.title, docs: check.docs, ...rest };
}
