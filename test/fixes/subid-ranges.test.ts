import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freeStart } from "../../fixes/subid-ranges.js";
import { undoRun } from "../../src/fix/run.js";
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
});
