// Rootless Podman maps container ids onto the ranges newuidmap/newgidmap allow the user in
// /etc/subuid and /etc/subgid; Podman wants 65536 of each. After any change to these files,
// `podman system migrate` must run for the user or the old mapping stays in use.
// https://github.com/containers/podman/blob/main/docs/tutorials/rootless_tutorial.md

import type { Check, Finding } from "../src/engine/types.js";
import { parsePasswd } from "../src/host/users.js";
import { contains, formatRange, overlaps, ownsRange, parseSubid } from "../src/subid.js";

export const MIN_IDS = 65536;
const MIGRATE = "then run `podman system migrate` as the user so Podman picks up the new mapping.";

export const check: Check = {
  id: "subuid-ranges",
  title: "subuid/subgid ranges",
  docs: "docs/checks/subuid-ranges.md",
  applies: (facts) =>
    facts.rootful ? "the target user is root: rootful Podman needs no subordinate ids" : true,
  async run({ host, facts }) {
    const user = facts.targetUser;
    const passwd = parsePasswd((await host.readFile("/etc/passwd")) ?? "");
    const findings: Finding[] = [];
    for (const kind of ["subuid", "subgid"] as const) {
      const file = `/etc/${kind}`;
      const text = await host.readFile(file);
      const ownId = kind === "subuid" ? user.uid : user.gid;
      const add = `sudo usermod --add-${kind}s 100000-165535 ${user.name} (pick a free range), ${MIGRATE}`;
      if (text === null) {
        findings.push({
          code: `${kind}.file-missing`,
          status: "fail",
          message: `${file} does not exist, so no user can run rootless containers.`,
          evidence: { path: file },
          remedy: `Create it with a range for ${user.name}: ${add}`,
        });
        continue;
      }
      const parsed = parseSubid(text);
      for (const bad of parsed.malformed) {
        findings.push({
          code: `${kind}.malformed`,
          status: "warn",
          message: `${file} line ${bad.line} is malformed (${bad.reason}); shadow-utils ignores it.`,
          evidence: { path: file, line: bad.line, text: bad.text },
          remedy: `Correct or remove line ${bad.line} of ${file} (format: name:start:count), ${MIGRATE}`,
        });
      }
      const mine = parsed.ranges.filter((r) => ownsRange(r, user));
      if (mine.length === 0) {
        findings.push({
          code: `${kind}.no-entry`,
          status: "fail",
          message: `${user.name} (uid ${user.uid}) has no range in ${file}: rootless Podman cannot map container ids.`,
          evidence: { path: file, user: user.name, uid: user.uid },
          remedy: `Add one: ${add}`,
        });
        continue;
      }
      const total = mine.reduce((n, r) => n + r.count, 0);
      const evidence = { path: file, ranges: mine.map(formatRange), total };
      if (total < MIN_IDS) {
        findings.push({
          code: `${kind}.too-small`,
          status: "fail",
          message: `${user.name} has ${total} ${kind === "subuid" ? "uids" : "gids"} in ${file}; images that use ids up to 65535 need ${MIN_IDS}.`,
          evidence,
          remedy: `Give ${user.name} at least ${MIN_IDS} ids: ${add}`,
        });
      }
      for (const r of mine) {
        if (contains(r, ownId)) {
          findings.push({
            code: `${kind}.includes-own-id`,
            status: "fail",
            message: `${file} line ${r.line} gives ${user.name} a range that contains its own ${kind === "subuid" ? "uid" : "gid"} ${ownId}.`,
            evidence: { path: file, line: r.line, range: formatRange(r), id: ownId },
            remedy: `Move the range above all real ids (e.g. 100000+), ${MIGRATE}`,
          });
        }
        for (const other of parsed.ranges) {
          if (ownsRange(other, user) || !overlaps(r, other)) continue;
          findings.push({
            code: `${kind}.overlap`,
            status: "fail",
            message: `${file}: ${user.name}'s range (line ${r.line}) overlaps ${other.owner}'s (line ${other.line}); their containers could reach each other's files.`,
            evidence: { path: file, range: formatRange(r), other: formatRange(other) },
            remedy: `Give one of the users a range no one else has, ${MIGRATE}`,
          });
        }
        const owners = passwd.filter(
          (u) => u.name !== user.name && contains(r, kind === "subuid" ? u.uid : u.gid),
        );
        if (owners.length > 0) {
          findings.push({
            code: `${kind}.includes-user-id`,
            status: "warn",
            message: `${file} line ${r.line}: ${user.name}'s range includes ids of existing accounts (${owners.map((u) => u.name).join(", ")}).`,
            evidence: { path: file, range: formatRange(r), accounts: owners.map((u) => u.name) },
            remedy: `Use a range above every real account id, ${MIGRATE}`,
          });
        }
      }
      if (!findings.some((f) => f.code.startsWith(`${kind}.`) && f.status === "fail")) {
        findings.push({
          code: `${kind}.ok`,
          status: "pass",
          message: `${user.name} has ${total} ${kind === "subuid" ? "uids" : "gids"} in ${file}.`,
          evidence,
        });
      }
    }
    return findings;
  },
};
