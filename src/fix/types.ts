// A fix is pure: findings in, a plan out. A plan is data, so the dry run costs nothing and the
// engine, the only writer, can check, apply, journal, verify and undo it (ESLint's fixes-as-data).
import type { CheckContext, Finding } from "../doctor/types.js";

export type Risk = "safe" | "confirm";

export type Change =
  | {
      kind: "write-file";
      path: string;
      /** Content when planned; null when the file did not exist. Apply refuses if it changed. */
      before: string | null;
      after: string;
      mode: number;
      owner?: { uid: number; gid: number };
      /** False for files the user owns (a compose file, a shell profile); system files need root. */
      needsRoot?: boolean;
      why: string;
    }
  | {
      kind: "sysctl";
      key: string;
      before: string | null;
      after: string;
      why: string;
    }
  | {
      kind: "command";
      argv: string[];
      why: string;
      /** Run as this user (rootless follow-ups such as `podman system migrate`). */
      user?: string;
      needsRoot: boolean;
      /** Files the command changes: backed up before it runs, restored by undo. */
      touches?: string[];
      /** A command that reverts it, for the ones that change no file (loginctl enable-linger). */
      undo?: string[];
    };

export interface Plan {
  fixId: string;
  title: string;
  risk: Risk;
  /** What the fix does and why, for the person deciding. */
  summary: string;
  changes: Change[];
  /** Things the user should know: lines not understood, alternatives not taken. */
  notes: string[];
  /** The check ids to re-run after applying. */
  verify: string[];
}

export interface FixContext extends Omit<CheckContext, "signal"> {
  /** Options given on the command line that some fixes act on (--compose, --ports). */
  composePath?: string;
}

export interface Fix {
  id: string;
  title: string;
  /** Finding codes this fix addresses. */
  addresses: string[];
  risk: Risk;
  /**
   * The checks that verify it, when not the ones that found the problem: [] for a fix no check
   * of this process can see (a shell profile takes effect in new login shells only).
   */
  verifiedBy?: string[];
  /**
   * Which of the findings with an addressed code this fix is about, when a code covers several
   * causes (the canary's `canary.failed`): verification then waits only for these to go, and
   * another cause of the same code, already there before, does not undo this fix.
   */
  concerns?(finding: Finding): boolean;
  /** A plan, or the reason no plan can be made on this host (shown to the user). */
  plan(
    ctx: FixContext,
    findings: Finding[],
  ): Promise<Omit<Plan, "fixId" | "title" | "risk" | "verify"> | string>;
}
