// When `podman system migrate` is not enough (a store made with another driver, a database that
// no longer matches), `podman system reset` deletes the user's whole store and starts it afresh.
// Risky: the plan counts what it deletes (images, containers, volumes, pods) before anyone is
// asked, and there is no undo for deleted data.
// https://docs.podman.io/en/latest/markdown/podman-system-reset.1.html
import { asUser } from "../src/fix/helpers.js";
import { describeCounts, isEmpty, storeCounts } from "../src/fix/podman-store.js";
import type { Fix } from "../src/fix/types.js";
import { isRootless, MIGRATE_CAUSES } from "./podman-system-migrate.js";

export const fix: Fix = {
  id: "podman-system-reset",
  title: "Reset the rootless user's Podman store (deletes its images, containers and volumes)",
  addresses: ["canary.failed", "canary.network-failed"],
  risk: "confirm",
  concerns: (f) => isRootless(f) && MIGRATE_CAUSES.includes(String(f.evidence?.cause)),
  async plan({ host, facts }, findings) {
    const user = facts.targetUser;
    if (user.uid === 0) return "podlift does not reset the rootful store";
    const hit = findings.filter((f) => fix.concerns?.(f));
    if (hit.length === 0)
      return "the rootless canary did not fail on id mappings or a storage database mismatch";
    const counts = await storeCounts(host, user);
    if (typeof counts === "string") return `cannot tell what a reset would delete: ${counts}`;
    const what = describeCounts(counts);
    return {
      summary: isEmpty(counts)
        ? `${user.name}'s Podman store is deleted and made afresh; it holds nothing now (${what}).`
        : `${user.name}'s Podman store is deleted and made afresh: this DELETES ${what}.`,
      changes: [
        {
          kind: "command",
          argv: ["podman", "system", "reset", "--force"],
          user: asUser(host, user),
          needsRoot: false,
          why: `delete ${user.name}'s store (${what}) and its database`,
        },
      ],
      notes: [
        "There is no undo: deleted images, containers and volumes are gone. Save what you need first (podman save, podman volume export, podman export).",
        "Try podlift fix --only podman-system-migrate first: it keeps the store.",
        "Configuration files (containers.conf, storage.conf) are kept.",
      ],
    };
  },
};
