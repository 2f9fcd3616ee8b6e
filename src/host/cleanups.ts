// Cleanups a command's caller still owes when podlift is about to exit: the canary's `podman rm`
// of a run it killed (exiting kills every command podlift still runs, that rm included). The
// doctor waits for them, bounded, before it ends (src/commands/common.ts).
const pending = new Set<Promise<unknown>>();

/** Registers a cleanup in flight; it leaves the set when it settles. */
export function trackCleanup(cleanup: Promise<unknown>): void {
  pending.add(cleanup);
  const done = () => pending.delete(cleanup);
  cleanup.then(done, done);
}

/** Waits until every tracked cleanup has settled, for at most `limitMs`. */
export async function settleCleanups(limitMs: number): Promise<void> {
  if (pending.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...pending]),
    new Promise((resolve) => {
      timer = setTimeout(resolve, limitMs);
    }),
  ]);
  clearTimeout(timer);
}
