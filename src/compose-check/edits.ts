// The edits `podlift compose fix` offers, made on the lines of the file itself so that comments,
// quoting and layout stay exactly as the user wrote them; only the edited lines change.
import type { ComposeFinding, HostContext } from "./rules.js";
import { qualify } from "./rules.js";

/** Finding codes an edit exists for. */
export const EDITABLE = [
  "compose.short-image",
  "compose.docker-socket",
  "compose.bind-unlabeled",
  "compose.user-bind-ownership",
];

export interface Edited {
  text: string;
  applied: ComposeFinding[];
  skipped: { finding: ComposeFinding; why: string }[];
}

/** `userLines`: where each service's `user:` line is, for userns_mode: keep-id to go under it. */
export function editCompose(
  text: string,
  findings: ComposeFinding[],
  host: HostContext,
  userLines: Map<string, number>,
): Edited {
  const lines = text.split("\n");
  const applied: ComposeFinding[] = [];
  const skipped: Edited["skipped"] = [];
  const socket = host.rootless ? `/run/user/${host.uid}/podman/podman.sock` : "/run/podman/podman.sock";
  const label = host.selinuxEnforcing ? "z" : null;
  // A user/bind finding is edited at its service's user: line, once per service.
  const todo = findings
    .filter((f) => EDITABLE.includes(f.code))
    .map((f) =>
      f.code === "compose.user-bind-ownership"
        ? { finding: f, line: userLines.get(f.service ?? "") ?? f.at.line }
        : { finding: f, line: f.at.line },
    );
  // Edits are collected by line and the text put together once at the end: linear in the file
  // and the findings (splicing the array per edit is quadratic in a large file).
  const replaced = new Map<number, string[]>();
  const done = new Set<string>();
  for (const { finding: f, line: at } of todo) {
    const i = at - 1;
    const key = `${f.code}:${at}`;
    // One edit can cover several findings (two bind mounts of one service, one keep-id line).
    if (done.has(key)) {
      applied.push(f);
      continue;
    }
    const earlier = replaced.get(i);
    const next = editLine(f, earlier?.[0] ?? lines[i] ?? "", socket, label);
    if (next === null) {
      skipped.push({
        finding: f,
        why: `line ${at} is not in a form podlift edits (long syntax or a multi-line value); edit it by hand`,
      });
      continue;
    }
    done.add(key);
    replaced.set(i, [...next, ...(earlier?.slice(1) ?? [])]);
    applied.push(f);
  }
  if (replaced.size === 0) return { text, applied, skipped };
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    const r = replaced.get(i);
    if (r === undefined) out.push(line);
    else for (const l of r) out.push(l);
  }
  return { text: out.join("\n"), applied, skipped };
}

function editLine(f: ComposeFinding, line: string, socket: string, label: string | null): string[] | null {
  switch (f.code) {
    case "compose.short-image": {
      const m = /^(\s*image:\s*)(["']?)([^"'\s#]+)(\2)(\s*(#.*)?)$/.exec(line);
      return m ? [`${m[1]}${m[2]}${qualify(m[3] as string)}${m[4]}${m[5]}`] : null;
    }
    case "compose.docker-socket": {
      const m = /^(\s*-\s*["']?)(\/(?:var\/)?run\/docker\.sock)(:[^:"'\s]+)(:[\w,]+)?(["']?\s*(#.*)?)$/.exec(
        line,
      );
      if (!m) return null;
      const opts = m[4]
        ? label && !/[zZ]/.test(m[4])
          ? `${m[4]},${label}`
          : m[4]
        : label
          ? `:${label}`
          : "";
      return [`${m[1]}${socket}${m[3]}${opts}${m[5]}`];
    }
    case "compose.bind-unlabeled": {
      const labelled = labelBindLine(line);
      return labelled === null ? null : [labelled];
    }
    case "compose.user-bind-ownership": {
      const m = /^(\s*)user:\s*\S/.exec(line);
      return m ? [line, `${m[1]}userns_mode: keep-id`] : null;
    }
    default:
      return null;
  }
}

/** A short-syntax bind mount line with :z added (or ,z after its options); null for other lines. */
export function labelBindLine(line: string): string | null {
  const m = /^(\s*-\s*["']?)([^"'\s:]+:[^"'\s:]+)(:[\w,]+)?(["']?\s*(#.*)?)$/.exec(line);
  return m ? `${m[1]}${m[2]}${m[3] ? `${m[3]},z` : ":z"}${m[4]}` : null;
}
