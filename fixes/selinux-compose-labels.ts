// Adds :z to the compose file's bind mounts that have no SELinux label, so containers may use
// them on an enforcing host. Risky: relabelling changes the host folder's context. :z (shared),
// never :Z, and never SELinux switched off.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (Labeling Volume Mounts)
import path from "node:path";
import { labelBindLine } from "../compose-rules/selinux-labels.js";
import type { Fix } from "../src/fix/types.js";
import { bindSourceOnHost, knownHomes, realHostPath, refusesRelabel } from "../src/host/selinux-paths.js";

export const fix: Fix = {
  id: "selinux-compose-labels",
  title: "Label the compose file's bind mounts (:z)",
  addresses: ["selinux.bind-unlabeled"],
  risk: "confirm",
  async plan({ host, facts }) {
    const compose = facts.compose;
    if (!compose) return "no compose file was given (--compose)";
    const before = await host.readFile(compose.path);
    if (before === null) return `${compose.path} cannot be read`;
    const lines = before.split("\n");
    const notes: string[] = [];
    // The same rule as podlift compose fix: never system folders, homes, or what holds a home.
    const homes = await knownHomes(host);
    let edited = 0;
    // Bottom-up, so that lines inserted for one mount do not move the line numbers of the next.
    const binds = [...compose.binds].sort((a, b) => b.line - a.line);
    for (const bind of binds) {
      if (bind.options.some((o) => ["z", "Z", "shared", "private"].includes(o))) continue;
      const named = bindSourceOnHost(bind.source, path.dirname(compose.path), facts.targetUser.home);
      // Judged as the folder it really names (links followed): Podman relabels that one.
      const real =
        "fs" in host ? await realHostPath(host as Parameters<typeof realHostPath>[0], named) : named;
      const onHost = refusesRelabel(real, homes) ? real : named;
      if (refusesRelabel(onHost, homes)) {
        notes.push(
          `line ${bind.line}: no :z offered: ${onHost} is a system folder or home; relabelling it can lock users out; bind a subfolder or label it by hand. Left alone.`,
        );
        continue;
      }
      const i = bind.line - 1;
      const line = lines[i] ?? "";
      const labelled = labelBindLine(line);
      if (labelled !== null) {
        lines[i] = labelled;
        edited++;
        continue;
      }
      const long = /^(\s*-\s*)\S/.exec(line);
      if (!long) {
        notes.push(`line ${bind.line}: not a mount podlift can edit; add :z to it by hand.`);
        continue;
      }
      // Long syntax: the item's keys sit at the column after "- "; add bind.selinux after them.
      const indent = " ".repeat((long[1] as string).length);
      let end = i + 1;
      while (
        end < lines.length &&
        (lines[end] as string).startsWith(indent) &&
        !(lines[end] as string).slice(indent.length).startsWith("-") &&
        (lines[end] as string).trim() !== ""
      )
        end++;
      if (lines.slice(i, end).some((l) => /^\s*(-\s*)?bind:/.test(l))) {
        notes.push(`line ${bind.line}: the mount already has bind: options; add selinux: z to them by hand.`);
        continue;
      }
      lines.splice(end, 0, `${indent}bind:`, `${indent}  selinux: z`);
      edited++;
    }
    if (edited === 0) return `nothing podlift can edit safely: ${notes.join(" ")}`;
    return {
      summary: `${edited} bind mount(s) in ${compose.path} get :z, so containers may read and write them on this enforcing host.`,
      changes: [
        {
          kind: "write-file",
          path: compose.path,
          before,
          after: lines.join("\n"),
          mode: (await host.stat(compose.path))?.mode ?? 0o644,
          why: `add :z to ${edited} bind mount(s)`,
        },
      ],
      notes: [
        ...notes,
        ":z relabels the host folders when the containers start; :Z (private) is for a folder only one container uses.",
      ],
    };
  },
};
