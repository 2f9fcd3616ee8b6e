// A rootless container reaches a bind source only as far as the user who runs it can: a folder
// the user cannot enter (or a file it cannot read) is "permission denied" inside the container.
// The engine stats the sources (facts: bindAccess, on a live host under rootless); this is pure.
import path from "node:path";
import { bindMount } from "../src/compose/info.js";
import type { ComposeFinding, ComposeRule, Service } from "../src/compose-check/types.js";
import { listItems } from "../src/compose-check/values.js";

/** The bind sources the rule looks at, as full paths: relative to the compose file, ~ the user's home. */
export function bindSources(data: Record<string, unknown>, file: string, home: string) {
  const out: { service: string; index: number; source: string; full: string }[] = [];
  const dir = path.dirname(file);
  for (const [name, svc] of Object.entries((data.services ?? {}) as Record<string, Service>)) {
    for (const [i, v] of listItems(svc?.volumes).entries()) {
      const source = bindMount(v)?.source ?? "";
      if (!/^[./~]/.test(source)) continue; // named volumes, and sources left as a variable
      out.push({
        service: name,
        index: i,
        source,
        full: path.resolve(dir, source.replace(/^~(?=\/)/, home)),
      });
    }
  }
  return out;
}

export const rule: ComposeRule = {
  id: "bind-unreadable",
  title: "Bind sources the rootless user cannot read",
  docs: "docs/compose-rules/bind-unreadable.md",
  codes: {
    "compose.bind-unreadable": {
      status: ["fail"],
      summary: "a bind-mounted folder the rootless user cannot read or enter",
    },
  },
  facts: ["bindAccess"],
  requires: ["bindAccess"],
  run({ project: p, host, at }) {
    const out: ComposeFinding[] = [];
    const access = host.bindAccess;
    if (access === undefined) return out;
    const { user, groups, stats } = access;
    for (const { service, index, source, full } of bindSources(p.data, p.file, user.home)) {
      const s = stats.get(full) ?? null;
      if (s === null) continue; // compose creates missing bind sources
      const bits =
        s.uid === user.uid ? (s.mode >> 6) & 7 : groups.includes(s.gid) ? (s.mode >> 3) & 7 : s.mode & 7;
      const needed = s.isDirectory ? 5 : 4;
      if ((bits & needed) === needed) continue;
      out.push({
        code: "compose.bind-unreadable",
        status: "fail",
        service,
        message: `bind mount ${source} (${full}) is mode ${(s.mode & 0o777).toString(8)}, owner ${s.uid}: ${user.name} cannot ${s.isDirectory ? "enter" : "read"} it, so neither can the rootless container`,
        remedy: `Give ${user.name} access (chown/chmod, or an ACL: setfacl -m u:${user.name}:${s.isDirectory ? "rx" : "r"} ${full}).`,
        at: at(`services.${service}.volumes.${index}`),
      });
    }
    return out;
  },
};
