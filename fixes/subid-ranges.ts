// Gives the target user 65536 subordinate uids and gids: a range that overlaps no other range
// and no account's id, the same in both files. `usermod --add-subuids/--add-subgids` when it is
// there and the files are clean; otherwise an append that keeps every other byte. Then
// `podman system migrate` as the user, or Podman keeps the old mapping.
// https://man7.org/linux/man-pages/man8/usermod.8.html
import { findBinary } from "../src/distro.js";
import { appendLine, asUser } from "../src/fix/helpers.js";
import type { Change, Fix } from "../src/fix/types.js";
import { parsePasswd } from "../src/host/users.js";
import { overlaps, parseSubid } from "../src/subid.js";

export const COUNT = 65536;
const FIRST = 100000;

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
      for (const bad of parsed[kind].malformed) {
        notes.push(
          `/etc/${kind} line ${bad.line} is not understood (${bad.reason}); it is left exactly as it is.`,
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
        why: `give ${user.name} ids ${start}-${end} in ${kinds.map((k) => `/etc/${k}`).join(" and ")}`,
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
          why: `give ${user.name} ids ${start}-${end} in /etc/${kind}`,
        });
      }
    }
    if (await findBinary(host, "podman")) {
      changes.push({
        kind: "command",
        argv: ["podman", "system", "migrate"],
        user: asUser(host, user),
        why: `make ${user.name}'s Podman use the new mapping (stops the user's running containers)`,
        needsRoot: false,
      });
    } else {
      notes.push("Podman is not installed; after installing it nothing else is needed.");
    }
    return {
      summary: `${user.name} gets ${COUNT} subordinate uids and gids (${start}-${end}), overlapping no other range or account.`,
      changes,
      notes,
    };
  },
};

/** The lowest start at or above 100000 where 65536 ids overlap nothing taken. */
export function freeStart(taken: { start: number; count: number }[]): number | null {
  const sorted = [...taken].sort((a, b) => a.start - b.start);
  let candidate = FIRST;
  for (const r of sorted) {
    if (overlaps({ start: candidate, count: COUNT }, r)) candidate = r.start + r.count;
  }
  // One pass can move the candidate onto a range sorted earlier only if ranges overlap each
  // other; check again and walk on until it is free.
  while (candidate + COUNT - 1 <= 0xffffffff) {
    const clash = sorted.find((r) => overlaps({ start: candidate, count: COUNT }, r));
    if (!clash) return candidate;
    candidate = clash.start + clash.count;
  }
  return null;
}
