import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freeStart } from "../../fixes/subid-ranges.js";
import { undoRun } from "../../src/fix/session.js";
import { PASSWD, scratchCopy, tempHost, USER } from "../helpers.js";
import { planOn } from "./fix-helpers.js";

describe("fix subid-ranges", () => {
  it("plans an append of a free range to both files, keeping every other byte (golden plan)", async () => {
    const root = scratchCopy("no-subuid-entry");
    const { plan } = await planOn(root);
    const p = plan("subid-ranges");
    expect(p.risk).toBe("safe");
    expect(p.summary).toBe(
      "newhire gets 65536 subordinate uids and gids (165536-231071), overlapping no other range or account.",
    );
    expect(p.changes).toEqual([
      expect.objectContaining({
        kind: "write-file",
        path: "/etc/subuid",
        before: "olduser:100000:65536\n",
        after: "olduser:100000:65536\nnewhire:165536:65536\n",
      }),
      expect.objectContaining({
        kind: "write-file",
        path: "/etc/subgid",
        before: "olduser:100000:65536\n",
        after: "olduser:100000:65536\nnewhire:165536:65536\n",
      }),
    ]);
    expect(p.notes).toContain("Podman is not installed; after installing it nothing else is needed.");
    expect(p.verify).toEqual(["subuid-ranges"]);
  });

  it("prefers usermod when present, touching both files, then podman system migrate", async () => {
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "etc/subuid": "",
        "etc/subgid": "",
        "usr/sbin/usermod": "",
        "usr/bin/podman": "",
      },
      { user: USER },
    );
    const { plan } = await planOn(root);
    expect(plan("subid-ranges").changes).toEqual([
      expect.objectContaining({
        kind: "command",
        argv: [
          "/usr/sbin/usermod",
          "--add-subuids",
          "100000-165535",
          "--add-subgids",
          "100000-165535",
          "alice",
        ],
        touches: ["/etc/subuid", "/etc/subgid"],
      }),
      expect.objectContaining({ kind: "command", argv: ["podman", "system", "migrate"], user: undefined }),
    ]);
  });

  it("repairs around malformed lines instead of handing the file to usermod, and says which", async () => {
    const subuid = "alice:100000\n\u0000junk\nbob:100000:65536\n";
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "etc/subuid": subuid,
        "etc/subgid": "bob:100000:65536\n",
        "usr/sbin/usermod": "",
      },
      { user: USER },
    );
    const { plan } = await planOn(root);
    const p = plan("subid-ranges");
    expect(p.changes[0]).toMatchObject({
      kind: "write-file",
      path: "/etc/subuid",
      after: `${subuid}alice:165536:65536\n`,
    });
    expect(p.notes.filter((n) => n.includes("is not understood"))).toHaveLength(2);
  });

  it("applies on a scratch root, verifies with the check, and undoes byte for byte", async () => {
    const root = scratchCopy("no-subuid-entry");
    const before = readFileSync(path.join(root, "etc/subuid"));
    const { apply, host } = await planOn(root);
    const result = await apply(["subid-ranges"]);
    expect(result.outcomes).toEqual([{ fixId: "subid-ranges", status: "applied", verified: true }]);
    expect(readFileSync(path.join(root, "etc/subuid"), "utf8")).toContain("newhire:165536:65536");
    const undone = await undoRun(host, undefined, false);
    expect(undone).toMatchObject({ runId: result.runId, restored: ["subid-ranges"], problems: [] });
    expect(readFileSync(path.join(root, "etc/subuid")).equals(before)).toBe(true);
    expect(await undoRun(host, undefined, false)).toEqual({ runId: null, restored: [], problems: [] });
  });

  it("finds the lowest free start above existing ranges and account ids", () => {
    expect(freeStart([])).toBe(100000);
    expect(
      freeStart([
        { start: 100000, count: 65536 },
        { start: 165536, count: 65536 },
      ]),
    ).toBe(231072);
    expect(freeStart([{ start: 150000, count: 10 }])).toBe(150010);
    expect(freeStart([{ start: 0, count: 2 ** 32 }])).toBeNull();
  });

  it("agrees with a naive search on generated ranges", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const naive = (taken: { start: number; count: number }[]) => {
      for (let c = 100000; c + 65535 <= 0xffffffff; c++) {
        const clash = taken.filter((r) => r.start < c + 65536 && c < r.start + r.count);
        if (clash.length === 0) return c;
        c = Math.max(...clash.map((r) => r.start + r.count)) - 1;
      }
      return null;
    };
    for (let k = 0; k < 200; k++) {
      const taken = Array.from({ length: Math.floor(next() * 30) }, () => ({
        start: 90000 + Math.floor(next() * 400000),
        count: 1 + Math.floor(next() * 80000),
      }));
      expect(freeStart(taken), JSON.stringify(taken)).toBe(naive(taken));
    }
  });

  it("stays quick on 20,000 duplicate ranges and 5,000 chained overlapping ones", () => {
    const dup = Array.from({ length: 20000 }, () => ({ start: 100000, count: 65536 }));
    const chain = Array.from({ length: 5000 }, (_, i) => ({ start: 100000 + i * 100, count: 65536 }));
    // Listed from the top down: the sweep must not depend on the input order.
    const started = performance.now();
    expect(freeStart([...dup, ...chain.reverse()])).toBe(100000 + 4999 * 100 + 65536);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("plans for a huge hostile file quickly, naming only the first malformed lines", async () => {
    const lines = (n: number, f: (i: number) => string) =>
      `${Array.from({ length: n }, (_, i) => f(i)).join("\n")}\n`;
    const subuid = lines(5000, (i) => `user${i}:${100000 + i * 100}:65536`) + lines(20000, (i) => `junk${i}`);
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "etc/subuid": subuid,
        "etc/subgid": lines(20000, () => "bob:100000:65536"),
      },
      { user: USER },
    );
    const started = performance.now();
    const { plan } = await planOn(root);
    const p = plan("subid-ranges");
    expect(performance.now() - started).toBeLessThan(15000);
    expect(p.summary).toContain(`(${100000 + 4999 * 100 + 65536}-`);
    expect(p.changes[0]).toMatchObject({
      kind: "write-file",
      path: "/etc/subuid",
      after: `${subuid}alice:${100000 + 4999 * 100 + 65536}:65536\n`,
    });
    const noted = p.notes.filter((n) => n.includes("not understood"));
    expect(noted).toHaveLength(6);
    expect(noted.at(-1)).toBe(
      "/etc/subuid has 19995 more lines that are not understood; they are left exactly as they are.",
    );
  }, 30000);

  it("refuses a user name that cannot be written as a line of the file", async () => {
    const odd = { ...USER, name: "al ice" };
    const root = tempHost(
      { "etc/passwd": "al ice:x:1000:1000::/home/a:/bin/sh\n", "etc/subuid": "", "etc/subgid": "" },
      { user: odd },
    );
    const { planned } = await planOn(root);
    expect(planned.plans.map((p) => p.fixId)).not.toContain("subid-ranges");
    expect(planned.unplannable).toContainEqual(
      expect.objectContaining({ fixId: "subid-ranges", reason: expect.stringContaining("al ice") }),
    );
  });
});
