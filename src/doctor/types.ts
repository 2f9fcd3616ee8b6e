// The data that flows through podlift: facts in, findings out, a run result for the reports.

import type { ComposeInfo } from "../compose/info.js";
import type { Host, UserInfo } from "../host/types.js";
import type { FactProblem } from "./facts.js";
import type { HostProbes } from "./host-probes.js";
import type { PodmanFacts } from "./podman-facts.js";

export type FindingStatus = "pass" | "warn" | "fail";
export type CheckStatus = FindingStatus | "skip" | "error";

export type EvidenceValue = string | number | boolean | null | string[] | number[];

/** Where in a file a finding points: 1-based line and column; `file` when not the project's first. */
export interface Position {
  line: number;
  col: number;
  file?: string;
}

export interface Finding {
  /** Stable, dotted: `subuid.missing`. Fixes address codes, CI configs match on them. */
  code: string;
  status: FindingStatus;
  message: string;
  evidence?: Record<string, EvidenceValue>;
  remedy?: string;
  /** Ids of fixes that address this finding. */
  fixes?: string[];
  /** A finding in a file (a compose rule's): the position, and the service it belongs to. */
  at?: Position;
  service?: string | null;
}

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId: string;
  prettyName: string;
}

export interface Facts {
  /** The host's name (see gatherFacts); null when unknown. */
  hostname: string | null;
  platform: string;
  os: OsRelease | null;
  kernel: string | null;
  arch: string;
  /**
   * The hypervisor or container engine podlift runs under, for the report's header only: it
   * takes systeminformation several processes (dmidecode, dmesg) to tell, so no check waits for it.
   */
  virtualization: Promise<string | null>;
  runningAsRoot: boolean;
  targetUser: UserInfo;
  /** Where the target user came from. */
  targetUserSource: "flag" | "sudo" | "current";
  /** True when the target user is root: rootless checks are skipped. */
  rootful: boolean;
  /** Ports the user needs to publish (`--ports`, and the compose file's published ports). */
  ports: number[];
  compose: ComposeInfo | null;
  /** Podman as seen by root and by the target user; gathered at most once, on first use. */
  podman: PodmanFacts;
  /** Host reads shared by checks and compose rules (port start, SELinux, CDI, compose providers). */
  probes: HostProbes;
  /** Host files the facts needed and could not read; the host-files check reports them. */
  problems?: FactProblem[];
}

export interface CheckContext {
  host: Host;
  facts: Facts;
  /** Aborted when the check's time is up: pass it to every command and probe. */
  signal: AbortSignal;
  /**
   * The run's per-check timeout (--timeout). A check with a longer limit of its own (the canary)
   * keeps to this one for everything but its one long step.
   */
  timeoutMs?: number;
}

export interface Check {
  id: string;
  title: string;
  /** Path of the docs page, relative to the package root. */
  docs: string;
  /** Overrides the run's default timeout, for checks that start containers. */
  timeoutMs?: number;
  /** True, or the reason the check does not apply to this host. */
  applies(facts: Facts): true | string;
  run(ctx: CheckContext): Promise<Finding[]>;
}

export interface CheckResult {
  id: string;
  title: string;
  docs: string;
  status: CheckStatus;
  findings: Finding[];
  durationMs: number;
  /** Why the check was skipped (does not apply, --skip, or the config file). */
  skipReason?: string;
  /** Why the check could not run (thrown error, timeout). */
  error?: string;
}

export interface RunResult {
  schemaVersion: 1;
  kind?: "doctor";
  tool: { name: "podlift"; version: string };
  startedAt: string;
  durationMs: number;
  host: {
    /** The host's name, for fleets; null when unknown. */
    name?: string | null;
    root: string;
    platform: string;
    os: OsRelease | null;
    kernel: string | null;
    arch: string;
    virtualization: string | null;
    runningAsRoot: boolean;
    targetUser: { name: string; uid: number; source: Facts["targetUserSource"] };
    rootful: boolean;
  };
  options: { failOn: "warn" | "fail"; timeoutMs: number; only: string[]; skip: string[] };
  checks: CheckResult[];
  summary: Record<CheckStatus, number>;
  exitCode: number;
  interrupted: boolean;
}

/**
 * `podlift compose check`'s result, in the doctor's shape where the two agree (schemaVersion,
 * tool, checks with findings, summary, exit code): each compose rule that ran is a check.
 * Described by reports/schema/compose.schema.json.
 */
export interface ComposeResult {
  schemaVersion: 1;
  kind: "compose";
  tool: { name: "podlift"; version: string };
  startedAt: string;
  durationMs: number;
  /** The compose file as a host path; under --root, the root it was read in. */
  file: string;
  root: string;
  project: string;
  rootless: boolean;
  /** The user who runs the project. */
  userName: string;
  options: { failOn: "warn" | "fail" };
  /** One per rule that ran, its findings in position order. */
  checks: CheckResult[];
  /** Every finding of every rule, by position in the file. */
  findings: (Finding & { at: Position; service: string | null })[];
  summary: Record<CheckStatus, number>;
  exitCode: number;
}
