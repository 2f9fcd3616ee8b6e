// Rootless Podman maps container ids onto the ranges newuidmap/newgidmap allow the user in
// /etc/subuid and /etc/subgid; Podman wants 65536 of each. After any change to these files,
// `podman system migrate` must run for the user or the old mapping stays in use.
// https://github.com/containers/podman/blob/main/docs/tutorials/rootless_tutorial.md
//
// The files may hold tens of thousands of lines (duplicates, overlaps, garbage): every test
// here is a sort and a sweep or binary search (src/parse/subid.ts), loops yield to the event loop so
// that --timeout holds, and each code gives at most one finding per file, with a count and the
// first few examples in its evidence.

import type { Check, Finding } from "../src/doctor/types.js";
import { parsePasswd } from "../src/host/users.js";
import {
  contains,
  findOverlaps,
  formatRange,
  idsInside,
  ownerName,
  ownsRange,
  parseSubidAsync,
  type SubidRange,
  ticker,
  union,
} from "../src/parse/subid.js";
import { safeLine, shellQuote } from "../src/text/safe-text.js";

export const MIN_IDS = 65536;
/** Examples kept in a finding's evidence (and named in its message). */
export const EXAMPLES = 5;
const MIGRATE = "then run `podman system migrate` as the user so Podman picks up the new mapping.";

/** "(first 5 shown)" when some were left out, else nothing. */
const shown = (count: number) => (count > EXAMPLES ? ` (first ${EXAMPLES} shown)` : "");
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export const check: Check = {
  id: "subuid-ranges",
  title: "subuid/subgid ranges",
  docs: "docs/checks/subuid-ranges.md",
  applies: (facts) =>
    facts.rootful ? "the target user is root: rootful Podman needs no subordinate ids" : true,
  async run({ host, facts, signal }) {
    const user = facts.targetUser;
    const name = safeLine(user.name);
    const tick = ticker(signal);
    const passwd = parsePasswd((await host.readFile("/etc/passwd")) ?? "");
    const findings: Finding[] = [];
    for (const kind of ["subuid", "subgid"] as const) {
      const file = `/etc/${kind}`;
      const ids = kind === "subuid" ? "uids" : "gids";
      const text = await host.readFile(file);
      const ownId = kind === "subuid" ? user.uid : user.gid;
      const add = `sudo usermod --add-${kind}s 100000-165535 ${shellQuote(user.name)} (pick a free range), ${MIGRATE}`;
      if (text === null) {
        findings.push({
          code: `${kind}.file-missing`,
          status: "fail",
          message: `${file} does not exist, so no user can run rootless containers.`,
          evidence: { path: file },
          remedy: `Create it with a range for ${name}: ${add}`,
        });
        continue;
      }
      const parsed = await parseSubidAsync(text, tick);
      const bad = parsed.malformed;
      if (bad.length > 0) {
        const first = bad[0] as (typeof bad)[number];
        findings.push({
          code: `${kind}.malformed`,
          status: "warn",
          message:
            bad.length === 1
              ? `${file} line ${first.line} is malformed (${first.reason}); shadow-utils ignores it.`
              : `${file}: ${bad.length} lines are malformed${shown(bad.length)}: ${bad
                  .slice(0, EXAMPLES)
                  .map((b) => `line ${b.line} (${b.reason})`)
                  .join(", ")}; shadow-utils ignores them.`,
          evidence: {
            path: file,
            count: bad.length,
            lines: bad.slice(0, EXAMPLES).map((b) => b.line),
            texts: bad.slice(0, EXAMPLES).map((b) => b.text),
            examples: bad.slice(0, EXAMPLES).map((b) => `line ${b.line}: ${b.reason}`),
          },
          remedy: `Correct or remove ${bad.length === 1 ? `line ${first.line}` : "these lines"} of ${file} (format: name:start:count), ${MIGRATE}`,
        });
      }
      const mine: SubidRange[] = [];
      const others: SubidRange[] = [];
      for (const r of parsed.ranges) {
        await tick();
        (ownsRange(r, user) ? mine : others).push(r);
      }
      if (mine.length === 0) {
        findings.push({
          code: `${kind}.no-entry`,
          status: "fail",
          message: `${name} (uid ${user.uid}) has no range in ${file}: rootless Podman cannot map container ids.`,
          evidence: { path: file, user: name, uid: user.uid },
          remedy: `Add one: ${add}`,
        });
        continue;
      }
      // Distinct ids: duplicate or overlapping lines of the user's own count once.
      const covered = await union(mine, tick);
      const total = covered.reduce((n, s) => n + s.count, 0);
      const evidence = {
        path: file,
        count: mine.length,
        ranges: mine.slice(0, EXAMPLES).map(formatRange),
        total,
      };
      if (total < MIN_IDS) {
        findings.push({
          code: `${kind}.too-small`,
          status: "fail",
          message: `${name} has ${total} ${ids} in ${file}; images that use ids up to 65535 need ${MIN_IDS}.`,
          evidence,
          remedy: `Give ${name} at least ${MIN_IDS} ids: ${add}`,
        });
      }
      const withOwn: SubidRange[] = [];
      for (const r of mine) {
        await tick();
        if (contains(r, ownId)) withOwn.push(r);
      }
      if (withOwn.length > 0) {
        const first = withOwn[0] as SubidRange;
        const what = `its own ${kind === "subuid" ? "uid" : "gid"} ${ownId}`;
        findings.push({
          code: `${kind}.includes-own-id`,
          status: "fail",
          message:
            withOwn.length === 1
              ? `${file} line ${first.line} gives ${name} a range that contains ${what}.`
              : `${file}: ${withOwn.length} of ${name}'s ranges contain ${what}${shown(withOwn.length)}: lines ${withOwn
                  .slice(0, EXAMPLES)
                  .map((r) => r.line)
                  .join(", ")}.`,
          evidence: {
            path: file,
            count: withOwn.length,
            line: first.line,
            range: formatRange(first),
            id: ownId,
            lines: withOwn.slice(0, EXAMPLES).map((r) => r.line),
            examples: withOwn.slice(0, EXAMPLES).map((r) => `line ${r.line}: ${formatRange(r)}`),
          },
          remedy: `Move the range above all real ids (e.g. 100000+), ${MIGRATE}`,
        });
      }
      const clash = await findOverlaps(mine, others, EXAMPLES, tick);
      if (clash.count > 0) {
        const [first] = clash.examples as [(typeof clash.examples)[number]];
        const pair = (e: typeof first) =>
          `line ${e.range.line} overlaps ${ownerName(e.other.owner)}'s line ${e.other.line}`;
        findings.push({
          code: `${kind}.overlap`,
          status: "fail",
          message:
            clash.count === 1 && clash.pairs === 1
              ? `${file}: ${name}'s range (line ${first.range.line}) overlaps ${ownerName(first.other.owner)}'s (line ${first.other.line}); their containers could reach each other's files.`
              : `${file}: ${plural(clash.count, `range of ${name}'s overlaps`, `ranges of ${name}'s overlap`)} other users' ranges (${plural(clash.pairs, "pair", "pairs")})${shown(clash.count)}: ${clash.examples
                  .map(pair)
                  .join(", ")}; their containers could reach each other's files.`,
          evidence: {
            path: file,
            count: clash.count,
            pairs: clash.pairs,
            range: formatRange(first.range),
            other: formatRange(first.other),
            examples: clash.examples.map(
              (e) =>
                `line ${e.range.line} ${formatRange(e.range)} overlaps line ${e.other.line} ${formatRange(e.other)}`,
            ),
          },
          remedy: `Give one of the users a range no one else has, ${MIGRATE}`,
        });
      }
      const accounts = await idsInside(
        covered,
        passwd
          .filter((u) => u.name !== user.name)
          .map((u) => ({ id: kind === "subuid" ? u.uid : u.gid, label: ownerName(u.name) })),
        EXAMPLES,
        tick,
      );
      if (accounts.count > 0) {
        findings.push({
          code: `${kind}.includes-user-id`,
          status: "warn",
          message: `${file}: ${name}'s ranges include ids of ${plural(accounts.count, "existing account", "existing accounts")}${shown(accounts.count)} (${accounts.examples.join(", ")}).`,
          evidence: {
            path: file,
            count: accounts.count,
            accounts: accounts.examples,
            ranges: evidence.ranges,
          },
          remedy: `Use a range above every real account id, ${MIGRATE}`,
        });
      }
      if (!findings.some((f) => f.code.startsWith(`${kind}.`) && f.status === "fail")) {
        findings.push({
          code: `${kind}.ok`,
          status: "pass",
          message: `${name} has ${total} ${ids} in ${file}.`,
          evidence,
        });
      }
    }
    return findings;
  },
};
