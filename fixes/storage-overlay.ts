// A rootless store on vfs copies every image layer in full. The canary tried the overlay driver
// in a throwaway store (natively, then through fuse-overlayfs where installed) with its tree
// mounted through it: the first that started becomes the user's storage.conf. Podman keeps the
// driver its store was made with, so the store is reset for the new one: planned only while it
// holds nothing, and otherwise declined with what a reset would delete.
// https://github.com/containers/storage/blob/main/docs/containers-storage.conf.5.md
import { asUser, canaryProof } from "../src/fix/helpers.js";
import { describeCounts, isEmpty, storeCounts } from "../src/fix/podman-store.js";
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "storage-overlay",
  title: "The overlay storage driver for the rootless user, where the canary proved it",
  addresses: ["canary.storage-vfs", "canary.failed"],
  risk: "confirm",
  concerns: (f) => f.code === "canary.storage-vfs" || f.evidence?.cause === "storage-driver",
  async plan({ host, facts }, findings) {
    const user = facts.targetUser;
    if (user.uid === 0) return "the rootful store is not changed by podlift";
    const { proven } = canaryProof(
      findings.filter((f) => fix.concerns?.(f)),
      fix.id,
    );
    const tries = proven.flatMap((f) =>
      Array.isArray(f.evidence?.tried) ? f.evidence.tried.map(String) : [],
    );
    if (proven.length === 0)
      return "the canary did not start a container on the overlay driver in a throwaway store";
    // The first try that started, in the order tried: native overlay, then fuse-overlayfs.
    const first = tries.find((t) => /: starts \(/.test(t)) ?? "";
    const program = /through (\/\S+)/.exec(first)?.[1] ?? null;
    const counts = await storeCounts(host, user);
    if (typeof counts === "string") return `cannot tell what the store holds: ${counts}`;
    if (!isEmpty(counts))
      return `${user.name}'s store holds ${describeCounts(counts)}: switching the driver needs \`podman system reset\`, which deletes them. Save what you need (podman save, podman volume export), run \`podman system reset\` as ${user.name}, then this fix again`;
    const path = `${user.home}/.config/containers/storage.conf`;
    const before = await host.readFile(path);
    if (before !== null)
      return `${path} exists already: podlift does not rewrite it; set driver = "overlay"${program ? ` and mount_program = "${program}"` : ""} there`;
    const after = `# Written by podlift fix: the driver the canary proved for ${user.name}.\n[storage]\ndriver = "overlay"\n${program ? `\n[storage.options.overlay]\nmount_program = "${program}"\n` : ""}`;
    return {
      summary: `${user.name}'s containers use the overlay driver${program ? ` through ${program}` : ""} instead of vfs; the store is empty, so \`podman system reset\` deletes nothing.`,
      changes: [
        {
          kind: "write-file",
          path,
          before,
          after,
          mode: 0o644,
          owner: { uid: user.uid, gid: user.gid },
          needsRoot: false,
          why: `set ${user.name}'s storage driver to overlay`,
        },
        {
          kind: "command",
          argv: ["podman", "system", "reset", "--force"],
          user: asUser(host, user),
          needsRoot: false,
          why: "start the empty store afresh with the new driver (Podman keeps the driver a store was made with)",
        },
      ],
      notes: [
        `The canary's tries: ${tries.join("; ")}`,
        "Undo removes storage.conf; the store made on overlay stays overlay until `podman system reset`.",
      ],
    };
  },
};
