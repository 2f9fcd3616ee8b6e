// On an SELinux-enforcing host a bind mount needs a label (:z shared, :Z private) or the
// container is denied access; :z relabels the host folder, so never a system folder or a home.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (Labeling Volume Mounts)
import path from "node:path";
import { bindMount } from "../src/compose/info.js";
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";
import { listItems } from "../src/compose-check/values.js";
import { bindSourceOnHost, refusesRelabel } from "../src/host/selinux-paths.js";
import { DOCKER_SOCKETS } from "./engine-socket.js";

/** A short-syntax bind mount line with :z added (or ,z after its options); null for other lines. */
export function labelBindLine(line: string): string | null {
  const m = /^(\s*-\s*["']?)([^"'\s:]+:[^"'\s:]+)(:[\w,]+)?(["']?\s*(#.*)?)$/.exec(line);
  return m ? `${m[1]}${m[2]}${m[3] ? `${m[3]},z` : ":z"}${m[4]}` : null;
}

export const rule: ComposeRule = {
  id: "selinux-labels",
  title: "Bind mounts without an SELinux label",
  docs: "docs/compose-rules/selinux-labels.md",
  codes: {
    "compose.bind-unlabeled": {
      status: ["fail"],
      summary: "bind mount without `:z`/`:Z` on an enforcing SELinux host",
    },
    "compose.bind-system-folder": {
      status: ["fail"],
      summary: "the same, for a system folder or a home: no `:z` is offered",
    },
  },
  facts: ["selinuxEnforcing", "home", "homes", "linkTargets"],
  requires: ["services"],
  edits: {
    // Relabelling host folders is the risky edit: --yes alone does not apply it.
    "compose.bind-unlabeled": {
      risk: "confirm",
      edit(line) {
        const labelled = labelBindLine(line);
        return labelled === null ? null : [labelled];
      },
    },
  },
  run({ project: p, host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.selinuxEnforcing) return out;
    const composeDir = path.dirname(p.file);
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const [i, v] of listItems(svc.volumes).entries()) {
        const mounted = bindMount(v);
        if (mounted === null) continue; // a named volume
        const { source, options, long } = mounted;
        // The socket's own finding (engine-socket) already says to label it.
        if (DOCKER_SOCKETS.includes(source) || options.some((o) => o === "z" || o === "Z")) continue;
        const named = bindSourceOnHost(source, composeDir, host.home);
        // Podman relabels the folder a link names: ./etclink -> /etc is judged as /etc.
        const real = host.linkTargets?.get(named);
        const onHost = real !== undefined && refusesRelabel(real, host.homes) ? real : named;
        const where = at(`services.${name}.volumes.${i}`);
        if (refusesRelabel(onHost, host.homes)) {
          // The same rule as the selinux-compose-labels fix: no :z edit is offered for these.
          out.push({
            code: "compose.bind-system-folder",
            status: "fail",
            message: `bind mount of ${source} has no :z/:Z on this SELinux-enforcing host: the container is denied access; no :z offered: ${onHost} is a system folder or home; relabelling it can lock users out (sshd can no longer read ~/.ssh)`,
            remedy:
              "Bind a subfolder that belongs to the app and label that (:z), or label this folder by hand if you are sure; podlift never relabels system folders and homes.",
            at: where,
            service: name,
          });
        } else {
          out.push({
            code: "compose.bind-unlabeled",
            status: "fail",
            message: `bind mount of ${source} has no :z/:Z on this SELinux-enforcing host: the container is denied access`,
            remedy: long
              ? "Add bind: { selinux: z } to the mount."
              : `Write ${String(v)}:z (or ,z after other options); never on system folders`,
            at: where,
            service: name,
          });
        }
      }
    }
    return out;
  },
};
