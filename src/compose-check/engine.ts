// The compose engine behind `podlift compose check` and `compose fix`: find and read the project,
// gather the host facts once, run the rules (run-rules.ts); for fix, turn the rules' edits into
// one plan for the fix engine, apply it, re-check, and roll back what does not verify.
import path from "node:path";
import { bindMount, ComposeError } from "../compose.js";
import { UsageError } from "../engine/facts.js";
import type { Facts } from "../engine/types.js";
import type { JournalFix } from "../fix/journal.js";
import type { Plan as FixPlan } from "../fix/types.js";
import type { LiveHost } from "../host/live-host.js";
import { UnreadableFileError } from "../host/safe-read.js";
import { bindSourceOnHost, realHostPath } from "../selinux-paths.js";
import { type Edited, editCompose, editFor } from "./edits.js";
import { bindStats, gatherContext, groupsOf, imageUsers } from "./facts.js";
import { CANDIDATES, ComposeMissing, composeHostPath, discover, type Loaded, loadProject } from "./load.js";
import { checkProject } from "./run-rules.js";
import type { ComposeFinding, HostContext } from "./types.js";

export interface Analysis {
  file: string;
  project: Loaded;
  host: LiveHost;
  facts: Facts;
  context: HostContext;
  findings: ComposeFinding[];
  /** Reads the file again and runs the rules on it, with the same facts. */
  recheck(): Promise<ComposeFinding[]>;
}

/** `host` and `facts` as the commands prepare them (--root, --user). */
export async function analyse(given: string | undefined, host: LiveHost, facts: Facts): Promise<Analysis> {
  // Read and written through the host, so that under --root both stay inside the root.
  const resolve = (p: string) => host.fs.resolve(p);
  const here = composeHostPath(host.root, process.cwd(), ".");
  const named = given === undefined ? undefined : composeHostPath(host.root, process.cwd(), given);
  const file = await discover(here, named, resolve);
  if (!file) throw new UsageError(`no compose file here (looked for ${CANDIDATES.join(", ")}); name one`);
  const load = () =>
    loadProject(file, process.env, resolve).catch((error: Error) => {
      // A FIFO, a device, a folder or a file past the size bound: one line, exit 2.
      if (error instanceof UnreadableFileError || error instanceof ComposeError)
        throw new UsageError(error.message);
      if (error instanceof ComposeMissing) throw new UsageError(`cannot read ${file}: no such file`);
      throw new UsageError(`cannot read ${file}: ${error.message}`);
    });
  const project = await load();
  const context = await gatherContext(host, facts);
  // Bind sources are stat'ed on a live host only, and matter only rootless.
  const groups = context.rootless && host.isLive ? await groupsOf(host, facts.targetUser) : null;
  const run = async (p: Loaded) =>
    checkProject(p, {
      ...context,
      linkTargets: await linkTargets(host, p, facts.targetUser.home),
      imageUsers: await imageUsers(host, facts, p),
      ...(groups === null
        ? {}
        : { bindAccess: { user: facts.targetUser, groups, stats: await bindStats(p, facts.targetUser) } }),
    });
  const recheck = async () => run(await load());
  return { file, project, host, facts, context, findings: await run(project), recheck };
}

export interface EditPlan {
  edited: Edited;
  /** Findings no edit covers: they need a person's decision. */
  advisory: ComposeFinding[];
  /** null when there is nothing to edit. */
  plan: FixPlan | null;
}

/** The rules' edits of the checked text as one plan for the fix engine. */
export async function planEdits(a: Analysis): Promise<EditPlan> {
  // The very text that was checked; the fix engine refuses to write if the file changed since.
  const before = a.project.text;
  const userLines = new Map<string, number>();
  for (const name of Object.keys((a.project.data.services ?? {}) as object)) {
    const at = a.project.positions.get(`services.${name}.user`);
    if (at) userLines.set(name, at.line);
  }
  const edited = editCompose(before, a.findings, a.context, userLines);
  const handled = new Set([...edited.applied, ...edited.skipped.map((s) => s.finding)]);
  const advisory = a.findings.filter((f) => !handled.has(f));
  if (edited.applied.length === 0) return { edited, advisory, plan: null };
  const plan: FixPlan = {
    fixId: "compose-edits",
    title: `Edit ${a.file} for Podman`,
    // Relabelling host folders (:z) is the risky edit; qualifying names and sockets is not.
    risk: edited.applied.some((f) => editFor(f.code)?.risk === "confirm") ? "confirm" : "safe",
    summary: `${edited.applied.length} edit(s): ${[...new Set(edited.applied.map((f) => f.code))].join(", ")}. Every other line stays as it is.`,
    changes: [
      {
        kind: "write-file",
        // A host path: under --root the write lands inside the root, like every fix's.
        path: a.file,
        before,
        after: edited.text,
        mode: (await a.host.stat(a.file))?.mode ?? 0o644,
        needsRoot: false,
        why: "edit the compose file",
      },
    ],
    notes: advisory.map((f) => `line ${f.at.line}: ${f.message} (${f.code}) — ${f.remedy}`),
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
export async function applyEdits(a: Analysis, plan: FixPlan, edited: Edited): Promise<EditOutcome> {
  const [{ applyPlans, revertEntries }, { JournalStore }] = await Promise.all([
    import("../fix/apply.js"),
    import("../fix/journal.js"),
  ]);
  const store = new JournalStore(a.host, a.host.writer());
  const release = await store.lock();
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
