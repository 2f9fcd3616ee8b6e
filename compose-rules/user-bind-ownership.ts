// Rootless, a container user other than root maps to a subordinate id of the host user: the
// files it writes into a bind mount are not the user's. userns_mode: keep-id maps it back.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (--userns=keep-id)
import { bindMount } from "../src/compose/info.js";
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";
import { listItems } from "../src/compose-check/values.js";

export const rule: ComposeRule = {
  id: "user-bind-ownership",
  title: "A user: with bind mounts under rootless",
  docs: "docs/compose-rules/user-bind-ownership.md",
  codes: {
    "compose.user-bind-ownership": {
      status: ["warn"],
      summary: "`user:` with bind mounts under rootless: files end up owned by a subordinate id",
    },
  },
  facts: ["rootless", "userName"],
  requires: ["services"],
  edits: {
    // One keep-id line under the service's user: line, however many of its mounts were found.
    "compose.user-bind-ownership": {
      risk: "safe",
      line: (f, userLines) => userLines.get(f.service ?? ""),
      edit(line) {
        const m = /^(\s*)user:\s*\S/.exec(line);
        return m ? [line, `${m[1]}userns_mode: keep-id`] : null;
      },
    },
  },
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.rootless) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      if (typeof svc.user !== "string" || svc.userns_mode !== undefined) continue;
      for (const [i, v] of listItems(svc.volumes).entries()) {
        const mounted = bindMount(v);
        if (mounted === null) continue; // a named volume
        out.push({
          code: "compose.user-bind-ownership",
          status: "warn",
          message: `runs as user ${svc.user} with a bind mount of ${mounted.source}: rootless, files it writes there belong to a subordinate id on the host, not to ${host.userName}`,
          remedy:
            "Add userns_mode: keep-id (the container user maps to yours), or chown the folder with podman unshare.",
          at: at(`services.${name}.volumes.${i}`),
          service: name,
        });
      }
    }
    return out;
  },
};
