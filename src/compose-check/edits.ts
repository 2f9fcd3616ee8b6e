// The edits `podlift compose fix` offers, made on the lines of the file itself so that comments,
// quoting and layout stay exactly as the user wrote them; only the edited lines change. Each edit
// belongs to the rule that declares its code (compose-rules/<id>.ts, `edits`).
import { composeRules } from "../../compose-rules/index.js";
import { podmanSocketFor } from "./sockets.js";
import type { ComposeFinding, HostContext, LineEdit } from "./types.js";

const BY_CODE = new Map<string, LineEdit>(composeRules.flatMap((r) => Object.entries(r.edits ?? {})));

/** Finding codes an edit exists for. */
export const EDITABLE = [...BY_CODE.keys()];

/** The edit for a finding code, if there is one. */
export function editFor(code: string): LineEdit | undefined {
  return BY_CODE.get(code);
}

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
  const env = {
    socket: podmanSocketFor(host),
    label: host.selinuxEnforcing ? "z" : null,
  };
  const todo = findings.flatMap((f) => {
    const edit = BY_CODE.get(f.code);
    return edit ? [{ finding: f, edit, line: edit.line?.(f, userLines) ?? f.at.line }] : [];
  });
  // Edits are collected by line and the text put together once at the end: linear in the file
  // and the findings (splicing the array per edit is quadratic in a large file).
  const replaced = new Map<number, string[]>();
  const done = new Set<string>();
  for (const { finding: f, edit, line: at } of todo) {
    const i = at - 1;
    const key = `${f.code}:${at}`;
    // One edit can cover several findings (two bind mounts of one service, one keep-id line).
    if (done.has(key)) {
      applied.push(f);
      continue;
    }
    const earlier = replaced.get(i);
    const next = edit.edit(earlier?.[0] ?? lines[i] ?? "", env, f);
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
