// The one writer for migrated units: the fix engine's lock, journal and atomic writes, so
// `podlift undo` removes every file (and the folders it created) again.
import { applyPlans } from "../fix/apply.js";
import { JournalStore } from "../fix/journal.js";
import { fixLock } from "../fix/session.js";
import type { Plan } from "../fix/types.js";
import type { WritableHost } from "../host/types.js";

export interface ServicesOutcome {
  status: "applied" | "rolled-back" | "refused";
  runId: string;
  error?: string;
}

export async function applyServicePlan(
  host: WritableHost,
  plan: Plan,
  notice: (line: string) => void = () => {},
): Promise<ServicesOutcome> {
  const store = new JournalStore(host, host.writer());
  const { lock: release, notices } = await fixLock(host);
  for (const n of notices) notice(n);
  try {
    const journal = {
      id: store.newId(),
      startedAt: new Date().toISOString(),
      user: host.currentUser().name,
      fixes: [],
    };
    const [outcome] = await applyPlans(host, store, journal, [plan]);
    await store.save(journal);
    return {
      status: outcome?.status ?? "refused",
      runId: journal.id,
      ...(outcome?.error ? { error: outcome.error } : {}),
    };
  } finally {
    await release();
  }
}
