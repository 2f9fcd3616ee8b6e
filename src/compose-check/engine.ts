// The compose engine behind `podlift compose check` and `compose fix`: find and read the project,
// gather the host facts once, run the rules (run-rules.ts); for fix, turn the rules' edits into
// one plan for the fix engine, apply it, re-check, and roll back what does not verify.
import path from "node:path";
import { bindMount } from "../compose/info.js";
import {
  CANDIDATES,
  ComposeMissing,
  composeHostPath,
  discover,
  discoverOverride,
  type Loaded,
  loadProject,
} from "../compose/project.js";
import { exitCodeFor } from "../doctor/exit-code.js";
import type { CheckResult, CheckStatus, ComposeResult, Facts } from "../doctor/types.js";
import { UsageError } from "../errors.js";
import type { JournalFix } from "../fix/journal.js";
import type { Plan as FixPlan } from "../fix/types.js";
import type { LiveHost } from "../host/live-host.js";
import { bindSourceOnHost, realHostPath } from "../host/selinux-paths.js";
import { type Edited, editCompose, editFor } from "./edits.js";
import { bindStats, gatherContext, groupsOf, imageUsers } from "./facts.js";
import { type RuleRun, runRules } from "./run-rules.js";
import type { ComposeFinding, HostContext } from "./types.js";

export interface Analysis {
  file: string;
  project: Loaded;
  host: LiveHost;
  facts: Facts;
  context: HostContext;
  findings: ComposeFinding[];
  /** Each rule with its findings, or what it lacked to run. */
  runs: RuleRun[];
  startedAt: Date;
  /** Reads the file again and runs the rules on it, with the same facts. */
  recheck(): Promise<ComposeFinding[]>;
}

/** Which compose files, as the command line names them. */
export interface ProjectFiles {
  /** The files named (-f, or the argument), in merge order; none: discovered in this folder. */
  files: string[];
  /** --env-file: read instead of the .env beside the first file. */
  envFile?: string;
}

/** `host` and `facts` as the commands prepare them (--root, --user). */
export async function analyse(given: ProjectFiles, host: LiveHost, facts: Facts): Promise<Analysis> {
  const startedAt = new Date();
  // Read and written through the host, so that under --root both stay inside the root.
  const resolve = (p: string) => host.fs.resolve(p);
  const onHost = (p: string) => composeHostPath(host.root, process.cwd(), p);
  let files = given.files.map(onHost);
  if (files.length === 0) {
    // As Compose does: the first candidate here, and the override file beside it if there is one.
    const file = await discover(onHost("."), undefined, resolve);
    if (!file) throw new UsageError(`no compose file here (looked for ${CANDIDATES.join(", ")}); name one`);
    const override = await discoverOverride(file, resolve);
    files = override ? [file, override] : [file];
  }
  const file = files[0] as string;
  const envFile = given.envFile === undefined ? undefined : onHost(given.envFile);
  const load = () =>
    loadProject(files, process.env, resolve, { envFile }).catch((error: Error) => {
      // A FIFO, a device, a folder or a file past the size bound: one line, exit 2.
      if (error instanceof UsageError) throw error;
      if (error instanceof ComposeMissing) throw new UsageError(`cannot read ${error.message}`);
      throw new UsageError(`cannot read ${file}: ${error.message}`);
    });
  const project = await load();
  const context = await gatherContext(host, facts);
  // Bind sources are stat'ed on a live host only, and matter only rootless.
  const groups = context.rootless && host.isLive ? await groupsOf(host, facts.targetUser) : null;
  const run = async (p: Loaded) =>
    runRules(p, {
      ...context,
      linkTargets: await linkTargets(host, p, facts.targetUser.home),
      imageUsers: await imageUsers(host, facts, p),
      ...(groups === null
        ? {}
        : { bindAccess: { user: facts.targetUser, groups, stats: await bindStats(p, facts.targetUser) } }),
    });
  const recheck = async () => flatten(await run(await load()));
  const runs = await run(project);
  return { file, project, host, facts, context, runs, findings: flatten(runs), startedAt, recheck };
}

function flatten(runs: RuleRun[]): ComposeFinding[] {
  return runs.flatMap((r) => r.findings).sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col);
}

const NEEDS: Record<NonNullable<RuleRun["missing"]>, string> = {
  services: "the file has no services mapping",
  dockerVolumes: "no Docker engine answered to list its volumes",
  bindAccess: "bind sources are read on a live host, for a rootless user",
  listening: "/proc/net could not be read",
};

/** The analysis as a report (reports/): each rule a check, as the doctor's checks are. */
export function composeResult(a: Analysis, failOn: "warn" | "fail", version: string): ComposeResult {
  const checks: CheckResult[] = a.runs.map(({ rule, findings, missing }) => ({
    id: rule.id,
    title: rule.title,
    docs: rule.docs,
    status: missing
      ? "skip"
      : findings.some((f) => f.status === "fail")
        ? "fail"
        : findings.length > 0
          ? "warn"
          : "pass",
    findings,
    durationMs: 0,
    ...(missing ? { skipReason: NEEDS[missing] } : {}),
  }));
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const c of checks) summary[c.status]++;
  return {
    schemaVersion: 1,
    kind: "compose",
    tool: { name: "podlift", version },
    startedAt: a.startedAt.toISOString(),
    durationMs: Date.now() - a.startedAt.getTime(),
    file: a.file,
    root: a.host.root,
    project: a.project.project,
    rootless: !a.facts.rootful,
    userName: a.facts.targetUser.name,
    options: { failOn },
    checks,
    findings: a.findings,
    summary,
    exitCode: exitCodeFor(summary, failOn, false),
  };
}

export interface EditPlan {
  edited: Edited;
  /** Findings no edit covers: they need a person's decision. */
  advisory: ComposeFinding[];
  /** null when there is nothing to edit. */
  plan: FixPlan | null;
}

/**
 * The rules' edits of the checked texts as one plan for the fix engine: one write per file that
 * has an edit (a finding sits in the file its value came from when -f merged several).
 */
export async function planEdits(a: Analysis): Promise<EditPlan> {
  const edited: Edited = { text: a.project.text, applied: [], skipped: [] };
  const changes: FixPlan["changes"] = [];
  for (const source of a.project.sources) {
    // A finding's edit goes to the file its data names (a network's key), else where it is.
    const own = a.findings.filter((f) => (f.data?.file ?? f.at.file ?? a.project.file) === source.file);
    if (own.length === 0) continue;
    // keep-id goes under the service's user: line, when that line is in this file.
    const userLines = new Map<string, number>();
    for (const name of Object.keys((a.project.data.services ?? {}) as object)) {
      const at = a.project.positions.get(`services.${name}.user`);
      if (at && (at.file ?? a.project.file) === source.file) userLines.set(name, at.line);
    }
    // The very text that was checked; the fix engine refuses to write if the file changed since.
    const result = editCompose(source.text, own, a.context, userLines);
    edited.applied.push(...result.applied);
    edited.skipped.push(...result.skipped);
    if (source.file === a.project.file) edited.text = result.text;
    if (result.applied.length === 0) continue;
    changes.push({
      kind: "write-file",
      // A host path: under --root the write lands inside the root, like every fix's.
      path: source.file,
      before: source.text,
      after: result.text,
      mode: (await a.host.stat(source.file))?.mode ?? 0o644,
      needsRoot: false,
      why: `edit ${source.file}`,
    });
  }
  const handled = new Set([...edited.applied, ...edited.skipped.map((s) => s.finding)]);
  const advisory = a.findings.filter((f) => !handled.has(f));
  if (edited.applied.length === 0) return { edited, advisory, plan: null };
  const plan: FixPlan = {
    fixId: "compose-edits",
    title: `Edit ${a.file} for Podman`,
    // Relabelling host folders (:z) is the risky edit; qualifying names and sockets is not.
    risk: edited.applied.some((f) => editFor(f.code)?.risk === "confirm") ? "confirm" : "safe",
    summary: `${edited.applied.length} edit(s): ${[...new Set(edited.applied.map((f) => f.code))].join(", ")}. Every other line stays as it is.`,
    changes,
    notes: advisory.map(
      (f) => `${f.at.file ? `${f.at.file}:` : "line "}${f.at.line}: ${f.message} (${f.code}) — ${f.remedy}`,
    ),
    verify: ["podlift compose check"],
  };
  return { edited, advisory, plan };
}

export type EditOutcome =
  | { status: "applied"; runId: string }
  | { status: "failed"; applyStatus: string; error: string }
  | { status: "rolled-back"; still: string[] };

/**
 * The one writer: the fix engine, through this host's writer and journal (podlift undo --root).
 * Verified when none of the edited findings comes back; otherwise the file is put back.
 */
export async function applyEdits(
  a: Analysis,
  plan: FixPlan,
  edited: Edited,
  notice: (line: string) => void = () => {},
): Promise<EditOutcome> {
  const [{ applyPlans, revertEntries }, { JournalStore }, { fixLock }] = await Promise.all([
    import("../fix/apply.js"),
    import("../fix/journal.js"),
    import("../fix/session.js"),
  ]);
  const store = new JournalStore(a.host, a.host.writer());
  // The fix runs' lock: one run at a time, a stale lock taken over, killed runs' temp files removed.
  const { lock: release, notices } = await fixLock(a.host);
  for (const line of notices) notice(line);
  try {
    const journal = {
      id: store.newId(),
      startedAt: new Date().toISOString(),
      user: a.host.currentUser().name,
      fixes: [] as JournalFix[],
    };
    const [outcome] = await applyPlans(a.host, store, journal, [plan]);
    if (outcome?.status !== "applied")
      return { status: "failed", applyStatus: String(outcome?.status), error: outcome?.error ?? "" };
    const again = await a.recheck();
    const edits = new Set(edited.applied.map((f) => `${f.code}\0${f.service}`));
    const back = again.filter((f) => edits.has(`${f.code}\0${f.service}`));
    const record = journal.fixes[0] as JournalFix;
    if (back.length > 0) {
      await revertEntries(a.host, store, journal.id, record.entries, true);
      record.status = "rolled-back";
      await store.save(journal);
      return { status: "rolled-back", still: back.map((f) => f.code) };
    }
    record.status = "verified";
    await store.save(journal);
    return { status: "applied", runId: journal.id };
  } finally {
    await release();
  }
}

/** The project's bind sources that are (or run through) links, mapped to what they really name. */
async function linkTargets(host: LiveHost, p: Loaded, home: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const services = (p.data.services ?? {}) as Record<string, { volumes?: unknown[] } | null>;
  for (const svc of Object.values(services)) {
    if (!svc || typeof svc !== "object" || !Array.isArray(svc.volumes)) continue;
    for (const v of svc.volumes) {
      const mounted = bindMount(v);
      if (mounted === null) continue;
      const onHost = bindSourceOnHost(mounted.source, path.posix.dirname(p.file), home);
      if (out.has(onHost)) continue;
      const real = await realHostPath(host, onHost);
      if (real !== onHost) out.set(onHost, real);
    }
  }
  return out;
}
