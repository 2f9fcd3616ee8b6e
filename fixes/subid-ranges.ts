// Gives the target user 65536 subordinate uids and gids: a range that overlaps no other range
// and no account's id, the same in both files. `usermod --add-subuids/--add-subgids` when it is
// there and the files are clean; otherwise an append that keeps every other byte. Then
// `podman system migrate` as the user, or Podman keeps the old mapping.
// https://man7.org/linux/man-pages/man8/usermod.8.html

import { appendLine } from "../src/fix/helpers.js";
import type { Change, Fix } from "../src/fix/types.js";
import { parsePasswd } from "../src/host/users.js";
import { findBinary } from "../src/parse/distro.js";
import { freeStart as freeSpan, parseSubid } from "../src/parse/subid.js";
import { hasControl, safeLine } from "../src/text/safe-text.js";
import { migrateChange } from "./podman-system-migrate.js";

export const COUNT = 65536;
const FIRST = 100000;
/** Malformed lines named one by one in the plan's notes; the rest are counted. */
const NOTED = 5;

export const fix: Fix = {
  id: "subid-ranges",
  title: "Add subordinate uid/gid ranges",
  addresses: [
    "subuid.no-entry",
    "subgid.no-entry",
    "subuid.too-small",
    "subgid.too-small",
    "subuid.file-missing",
    "subgid.file-missing",
  ],
  risk: "safe",
  async plan({ host, facts }, findings) {
    const user = facts.targetUser;
    const name = safeLine(user.name);
    // The name becomes a line of the file: a colon, a space or a control character would break it.
    if (user.name === "" || /[:\s]/.test(user.name) || hasControl(user.name))
      return `the user name "${name}" cannot be written as an owner:start:count line`;
    const kinds = (["subuid", "subgid"] as const).filter((k) =>
      findings.some((f) => f.code.startsWith(`${k}.`)),
    );
    const files = { subuid: await host.readFile("/etc/subuid"), subgid: await host.readFile("/etc/subgid") };
    const parsed = { subuid: parseSubid(files.subuid ?? ""), subgid: parseSubid(files.subgid ?? "") };
    const accounts = parsePasswd((await host.readFile("/etc/passwd")) ?? "");
    const taken: { start: number; count: number }[] = [
      ...parsed.subuid.ranges,
      ...parsed.subgid.ranges,
      ...accounts.flatMap((a) => [
        { start: a.uid, count: 1 },
        { start: a.gid, count: 1 },
      ]),
    ];
    const start = freeStart(taken);
    if (start === null) return "no free range of 65536 ids is left below 4294967295";
    const end = start + COUNT - 1;
    const notes: string[] = [];
    for (const kind of kinds) {
      const bad = parsed[kind].malformed;
      for (const b of bad.slice(0, NOTED)) {
        notes.push(
          `/etc/${kind} line ${b.line} is not understood (${b.reason}); it is left exactly as it is.`,
        );
      }
      if (bad.length > NOTED) {
        notes.push(
          `/etc/${kind} has ${bad.length - NOTED} more lines that are not understood; they are left exactly as they are.`,
        );
      }
    }
    const changes: Change[] = [];
    const usermod = await findBinary(host, "usermod");
    const clean = kinds.every((k) => files[k] !== null && parsed[k].malformed.length === 0);
    if (usermod && clean) {
      changes.push({
        kind: "command",
        argv: [usermod, ...kinds.flatMap((k) => [`--add-${k}s`, `${start}-${end}`]), user.name],
        why: `give ${name} ids ${start}-${end} in ${kinds.map((k) => `/etc/${k}`).join(" and ")}`,
        needsRoot: true,
        touches: kinds.map((k) => `/etc/${k}`),
      });
    } else {
      if (usermod && !clean)
        notes.push(
          "usermod is not used because a file is missing or has lines it may not keep; podlift appends instead.",
        );
      for (const kind of kinds) {
        changes.push({
          kind: "write-file",
          path: `/etc/${kind}`,
          before: files[kind],
          after: appendLine(files[kind], `${user.name}:${start}:${COUNT}`),
          mode: 0o644,
          owner: { uid: 0, gid: 0 },
          why: `give ${name} ids ${start}-${end} in /etc/${kind}`,
        });
      }
    }
    if (await findBinary(host, "podman")) {
      changes.push(
        migrateChange(
          host,
          user,
          `make ${name}'s Podman use the new mapping (stops the user's running containers)`,
        ),
      );
    } else {
      notes.push("Podman is not installed; after installing it nothing else is needed.");
    }
    return {
      summary: `${name} gets ${COUNT} subordinate uids and gids (${start}-${end}), overlapping no other range or account.`,
      changes,
      notes,
    };
  },
};

/** The lowest start at or above 100000 where 65536 ids overlap nothing taken: one sort, one sweep. */
export function freeStart(taken: { start: number; count: number }[]): number | null {
  return freeSpan(taken, FIRST, COUNT);
}
