import { describe, expect, it } from "vitest";
import { check } from "../../checks/subuid-ranges.js";
import { contains, findOverlaps, idsInside, overlaps, union } from "../../src/parse/subid.js";
import { hasControl } from "../../src/text/safe-text.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const host = (subuid: string | null, subgid: string | null = subuid, passwd = PASSWD) =>
  tempHost(
    {
      "etc/passwd": passwd,
      ...(subuid === null ? {} : { "etc/subuid": subuid }),
      ...(subgid === null ? {} : { "etc/subgid": subgid }),
    },
    { user: USER },
  );

describe("subuid-ranges", () => {
  it("passes for a healthy rootless Fedora user", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.status).toBe("pass");
    expect(r.codes).toEqual(["subuid.ok", "subgid.ok"]);
    expect(r.find("subuid.ok").evidence?.total).toBe(65536);
  });

  it("fails when the user has no entry, and names podman system migrate", async () => {
    const r = await runOn(check, "no-subuid-entry");
    expect(r.status).toBe("fail");
    expect(r.codes).toEqual(["subuid.no-entry", "subgid.no-entry"]);
    expect(r.find("subuid.no-entry").remedy).toContain("podman system migrate");
    expect(r.find("subuid.no-entry").message).toContain("newhire");
  });

  it("finds the entry by numeric uid", async () => {
    const r = await runOn(check, host("1000:200000:65536\n"));
    expect(r.status).toBe("pass");
  });

  it("fails a range smaller than 65536 ids, summing several ranges", async () => {
    const r = await runOn(check, host("alice:200000:30000\nalice:300000:30000\n"));
    expect(r.codes).toContain("subuid.too-small");
    expect(r.find("subuid.too-small").evidence?.total).toBe(60000);
    const ok = await runOn(check, host("alice:200000:30000\nalice:300000:35536\n"));
    expect(ok.status).toBe("pass");
  });

  it("fails ranges that overlap another user's", async () => {
    const r = await runOn(check, host("bob:100000:65536\nalice:150000:65536\n"));
    expect(r.status).toBe("fail");
    expect(r.find("subuid.overlap").message).toContain("bob");
  });

  it("fails a range that contains the user's own uid, and warns about other accounts' ids", async () => {
    const r = await runOn(check, host("alice:0:70000\n"));
    expect(r.codes).toContain("subuid.includes-own-id");
    expect(r.find("subuid.includes-user-id").evidence?.accounts).toEqual(["root"]);
  });

  it("reports malformed lines with file and line number, and still reads the good ones", async () => {
    const r = await runOn(
      check,
      host("# comment\nalice:100000\nalice:x:65536\n\u0000\u0001garbage\nalice:100000:65536\n"),
    );
    const malformed = r.findings.filter((f) => f.code === "subuid.malformed");
    expect(malformed).toHaveLength(1); // one finding per file, with the lines in its evidence
    expect(malformed[0]?.evidence).toMatchObject({ count: 3, lines: [2, 3, 4] });
    expect(malformed[0]?.evidence?.texts).toEqual(["alice:100000", "alice:x:65536", "\\u0000\\u0001garbage"]);
    expect(malformed[0]?.message).toContain("3 lines are malformed");
    expect(malformed[0]?.message).not.toContain("\u0000");
    expect(r.codes).toContain("subuid.ok");
    expect(r.status).toBe("warn");
  });

  it("treats a malformed own entry as no entry at all", async () => {
    const r = await runOn(check, host("alice:100000:0\nalice:4294967290:65536\n"));
    expect(r.codes).toContain("subuid.no-entry");
    const malformed = r.find("subuid.malformed");
    expect(malformed.message).toContain("count is 0");
    expect(malformed.message).toContain("past the largest id");
    expect(malformed.evidence?.examples).toEqual([
      expect.stringContaining("line 1: count is 0"),
      expect.stringContaining("line 2: range goes past the largest id"),
    ]);
  });

  it("fails when the files are missing", async () => {
    const r = await runOn(check, host(null));
    expect(r.codes).toEqual(["subuid.file-missing", "subgid.file-missing"]);
  });

  it("checks subgid independently of subuid", async () => {
    const r = await runOn(check, host("alice:100000:65536\n", "alice:100000:1000\n"));
    expect(r.codes).toEqual(["subuid.ok", "subgid.too-small"]);
  });

  it("is skipped for root", async () => {
    const root = tempHost({ "etc/passwd": PASSWD }, {});
    const r = await runOn(check, root);
    expect(r.status).toBe("skip");
  });
});

// Issue 10 item 7: hostile or huge files. Every tree is generated here, in a temp dir.
const lines = (n: number, f: (i: number) => string) =>
  `${Array.from({ length: n }, (_, i) => f(i)).join("\n")}\n`;
const at = (i: number) => 100000 + i * 100;
/** n other users, each with an account inside alice's ranges and a range overlapping n of alice's. */
function overlapping(n: number): string {
  return host(
    lines(2 * n, (i) => (i % 2 === 0 ? `alice:${at(i >> 1)}:65536` : `user${i >> 1}:${at(i >> 1)}:65536`)),
    "alice:100000:65536\n",
    PASSWD + lines(n, (i) => `user${i}:x:${at(i)}:${at(i)}::/home/user${i}:/bin/sh`),
  );
}
/** (mine, other) pairs that overlap, counted the slow way. */
function bruteForcePairs(n: number): { count: number; pairs: number } {
  let count = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let j = 0; j < n; j++) if (at(i) < at(j) + 65536 && at(j) < at(i) + 65536) k++;
    if (k > 0) count++;
    pairs += k;
  }
  return { count, pairs };
}
const reportSize = (r: { findings: unknown[] }) => JSON.stringify(r.findings).length;

describe("subuid-ranges on huge and hostile files", () => {
  it("20,000 duplicate lines: quick, passes, distinct ids counted once, evidence capped", async () => {
    const started = performance.now();
    const dup = lines(20000, () => "alice:100000:65536");
    const r = await runOn(check, host(dup), { timeoutMs: 20000 });
    expect(performance.now() - started).toBeLessThan(5000); // was 23 s and more
    expect(r.codes).toEqual(["subuid.ok", "subgid.ok"]);
    expect(r.find("subuid.ok").evidence).toMatchObject({ count: 20000, total: 65536 });
    expect(r.find("subuid.ok").evidence?.ranges).toHaveLength(5);
    expect(reportSize(r)).toBeLessThan(4000);
  });

  it("5,000 overlapping users: one finding per code and file, with counts and the first 5", async () => {
    const started = performance.now();
    const r = await runOn(check, overlapping(5000), { timeoutMs: 20000 });
    expect(performance.now() - started).toBeLessThan(10000); // was 4 GB and an abort
    expect(r.codes).toEqual([
      "subuid.overlap",
      "subuid.includes-user-id",
      "subgid.includes-user-id",
      "subgid.ok", // includes-user-id only warns
    ]);
    const overlap = r.find("subuid.overlap");
    expect(overlap.evidence).toMatchObject({ count: 5000 });
    expect(overlap.evidence?.pairs).toBeGreaterThan(5000 * 600); // each overlaps ~1311 others
    expect(overlap.evidence?.examples).toHaveLength(5);
    expect(overlap.message).toContain("5000 ranges of alice's overlap other users' ranges");
    expect(overlap.message).toContain("(first 5 shown)");
    expect(r.find("subuid.includes-user-id").evidence).toMatchObject({
      count: 5000,
      accounts: ["user0", "user1", "user2", "user3", "user4"],
    });
    expect(reportSize(r)).toBeLessThan(8000);
  });

  it("500 overlapping users: counts agree with a brute-force count (was 250,001 findings)", async () => {
    const r = await runOn(check, overlapping(500));
    expect(r.findings.length).toBeLessThanOrEqual(4);
    expect(r.find("subuid.overlap").evidence).toMatchObject(bruteForcePairs(500));
    expect(r.find("subuid.overlap").evidence?.examples).toEqual([
      "line 1 alice:100000:65536 (ids 100000-165535) overlaps line 2 user0:100000:65536 (ids 100000-165535)",
      expect.stringMatching(/^line 3 alice:100100:65536 .* overlaps line \d+ user\d+:/),
      expect.stringMatching(/^line 5 /),
      expect.stringMatching(/^line 7 /),
      expect.stringMatching(/^line 9 /),
    ]);
    // subgid: alice:100000:65536 holds the gids of user0..user499.
    expect(r.find("subgid.includes-user-id").evidence?.count).toBe(500);
  });

  it("20,000 malformed lines make one warning with a count", async () => {
    const r = await runOn(check, host(`${lines(20000, (i) => `junk${i}`)}alice:100000:65536\n`));
    const bad = r.findings.filter((f) => f.code === "subuid.malformed");
    expect(bad).toHaveLength(1);
    expect(bad[0]?.evidence).toMatchObject({ count: 20000, lines: [1, 2, 3, 4, 5] });
    expect(bad[0]?.message).toContain("20000 lines are malformed (first 5 shown)");
    expect(r.codes).toContain("subuid.ok");
  });

  it("yields to the event loop: --timeout holds and other timers keep firing", async () => {
    const big = host(`${lines(100000, (i) => `u${i}:${100000 + i}:65536`)}alice:100000:65536\n`);
    const timedOut = await runOn(check, big, { timeoutMs: 50 });
    expect(timedOut.status).toBe("error");
    expect(timedOut.codes).toEqual(["check.timeout"]);
    let last = performance.now();
    let worst = 0;
    const timer = setInterval(() => {
      worst = Math.max(worst, performance.now() - last);
      last = performance.now();
    }, 5);
    try {
      const r = await runOn(check, big, { timeoutMs: 60000 });
      expect(r.find("subuid.overlap").evidence?.count).toBe(1);
    } finally {
      clearInterval(timer);
    }
    expect(worst).toBeLessThan(1500); // one sort of 100,000 ranges at most, not the whole check
  }, 30000);

  it("never prints control characters from the files, and quotes the user name in remedies", async () => {
    const r = await runOn(check, host("\u001b]0;pwned\u0007bob:100000:65536\nalice:150000:65536\n"));
    const overlap = r.find("subuid.overlap");
    expect(hasControl(overlap.message)).toBe(false);
    expect(overlap.message).toContain("\\x1b]0;pwned\\x07bob");
    expect(JSON.stringify(overlap.evidence)).not.toContain("\\u001b");
    const odd = { ...USER, name: "o'neil$(id)" };
    const r2 = await runOn(
      check,
      tempHost(
        { "etc/passwd": `o'neil$(id):x:1000:1000::/home/o:/bin/bash\n`, "etc/subuid": "", "etc/subgid": "" },
        { user: odd },
      ),
    );
    expect(r2.find("subuid.no-entry").remedy).toContain(`--add-subuids 100000-165535 'o'\\''neil$(id)'`);
  });
});

describe("subid helpers against brute force", () => {
  // A small deterministic generator, so that a failure can be replayed.
  const random = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const spans = (next: () => number, n: number, owner: string) =>
    Array.from({ length: n }, (_, i) => ({
      owner,
      line: i + 1,
      start: Math.floor(next() * 1000),
      count: 1 + Math.floor(next() * 60),
    }));

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "findOverlaps, union and idsInside agree with nested loops (seed %i)",
    async (seed) => {
      const next = random(seed);
      const mine = spans(next, 1 + Math.floor(next() * 40), "alice");
      const others = spans(next, Math.floor(next() * 40), "bob");
      const report = await findOverlaps(mine, others, 5);
      const hits = mine.map((m) => others.filter((o) => overlaps(m, o)));
      expect(report.count).toBe(hits.filter((h) => h.length > 0).length);
      expect(report.pairs).toBe(hits.reduce((n, h) => n + h.length, 0));
      const firstFive = mine.filter((_, i) => (hits[i] as unknown[]).length > 0).slice(0, 5);
      expect(report.examples.map((e) => e.range)).toEqual(firstFive);
      for (const e of report.examples) {
        const lowest = Math.min(...others.filter((o) => overlaps(e.range, o)).map((o) => o.start));
        expect(overlaps(e.range, e.other)).toBe(true);
        expect(e.other.start).toBe(lowest);
      }
      const merged = await union(mine);
      for (let id = 0; id < 1100; id++) {
        expect(merged.filter((s) => contains(s, id)).length).toBe(mine.some((m) => contains(m, id)) ? 1 : 0);
      }
      const ids = Array.from({ length: 50 }, (_, i) => ({ id: Math.floor(next() * 1100), label: `u${i}` }));
      const inside = await idsInside(mine, ids, 5);
      const expected = ids.filter((x) => mine.some((m) => contains(m, x.id))).sort((a, b) => a.id - b.id);
      expect(inside.count).toBe(expected.length);
      expect(inside.examples).toEqual(expected.slice(0, 5).map((x) => x.label));
    },
  );
});
