// Adds the target user to the group a Docker-API socket grants access to (podman.socket's
// SocketGroup=, docker's docker group). Risky: membership of the group of root's socket is
// root-equivalent power over the host. Undo removes the membership again.
// https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "socket-group",
  title: "Add the user to the socket's group",
  addresses: ["socket-access.group-missing"],
  risk: "confirm",
  async plan({ facts }, findings) {
    const user = facts.targetUser;
    const groups = [
      ...new Set(
        findings
          .filter((f) => f.code === "socket-access.group-missing")
          .map((f) => f.evidence?.group)
          .filter((g): g is string => typeof g === "string" && /^[a-z_][a-z0-9_-]*\$?$/i.test(g)),
      ),
    ];
    if (groups.length === 0) return "the socket's group has no name podlift can use";
    return {
      summary: `${user.name} joins ${groups.join(", ")}, so the user's Docker clients may connect to the socket (from the next login).`,
      changes: groups.map((group) => ({
        kind: "command" as const,
        argv: ["usermod", "-aG", group, user.name],
        why: `add ${user.name} to ${group}`,
        needsRoot: true,
        undo: ["gpasswd", "-d", user.name, group],
      })),
      notes: [
        "Membership takes effect at the next login (or `newgrp`): sessions already open keep their groups.",
        "The group of root's socket gives control over root's containers, which is root-equivalent: for a rootless user, the user's own socket is the safer choice.",
      ],
    };
  },
};
