// Points Docker API clients at Podman for the target user: DOCKER_HOST in ~/.profile.
// Risky only in that it edits the user's own shell profile.
// https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
import { appendLine, userFileChange } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "docker-host-profile",
  title: "Set DOCKER_HOST in the user's profile",
  addresses: ["socket.docker-host-unset"],
  risk: "confirm",
  // The doctor reads its own environment; only new login shells see the profile's DOCKER_HOST.
  verifiedBy: [],
  async plan({ host, facts }) {
    const user = facts.targetUser;
    const socket = facts.rootful ? "/run/podman/podman.sock" : `/run/user/${user.uid}/podman/podman.sock`;
    const path = `${user.home}/.profile`;
    const before = await host.readFile(path);
    if (before?.includes("DOCKER_HOST=")) return `${path} already sets DOCKER_HOST; podlift leaves it alone`;
    const info = await host.stat(path);
    return {
      summary: `Docker clients of ${user.name} (compose, IDEs, CI runners) talk to Podman at ${socket} in new login shells.`,
      changes: [
        userFileChange(host, user, {
          path,
          before,
          after: appendLine(before, `export DOCKER_HOST=unix://${socket}  # added by podlift fix`),
          mode: info?.mode ?? 0o644,
          why: `add DOCKER_HOST to ${path}`,
        }),
      ],
      notes: ["Shells already open keep their environment: log in again, or export it by hand."],
    };
  },
};
