// A temporary tree podlift made (the canary's): removed by its cleanup, or, if podlift exits first
// (SIGTERM, a second Ctrl-C), by one synchronous exit handler, so that no copy is left in /tmp.
import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { TempTree } from "./types.js";

const pending = new Set<string>();

function removeAll(): void {
  for (const top of pending) {
    try {
      rmSync(top, { recursive: true, force: true });
    } catch {
      // left in the temporary folder
    }
  }
}

export function removedAtExit(top: string): TempTree {
  if (pending.size === 0) process.on("exit", removeAll);
  pending.add(top);
  return {
    path: top,
    cleanup: async () => {
      // Left to the exit handler until it is gone: podlift may exit while the removal runs.
      await rm(top, { recursive: true, force: true });
      pending.delete(top);
      if (pending.size === 0) process.off("exit", removeAll);
    },
  };
}
