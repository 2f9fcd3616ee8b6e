import path from "node:path";
import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/bind-unreadable.js";
import { loadProject } from "../../src/compose/project.js";
import { bindStats } from "../../src/compose-check/facts.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import { ROOTLESS, runRule } from "./helpers.js";

describe("bind-unreadable", () => {
  it.skipIf(process.getuid?.() !== 0)(
    "finds a bind-mounted folder the rootless user cannot enter",
    async () => {
      const { mkdirSync, mkdtempSync, writeFileSync, chmodSync } = await import("node:fs");
      const os = await import("node:os");
      const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-binds-"));
      chmodSync(dir, 0o755);
      mkdirSync(path.join(dir, "private"), { mode: 0o700 });
      mkdirSync(path.join(dir, "public"), { mode: 0o755 });
      writeFileSync(
        path.join(dir, "compose.yaml"),
        "services:\n  app:\n    image: docker.io/library/busybox:1\n    volumes:\n      - ./private:/p\n      - ./public:/q\n      - ./missing:/m\n",
      );
      const loaded = await loadProject(path.join(dir, "compose.yaml"), {});
      const alice = { name: "alice", uid: 1000, gid: 1000, home: "/home/alice", shell: "/bin/sh" };
      const stats = await bindStats(loaded, alice);
      const found = checkProject(
        loaded,
        { ...ROOTLESS, bindAccess: { user: alice, groups: [1000], stats } },
        [rule],
      );
      expect(found.map((f) => `${f.at.line}:${f.code}`)).toEqual(["5:compose.bind-unreadable"]);
      expect(found[0]?.remedy).toContain("setfacl -m u:alice:rx");
    },
  );

  it("reads the owner's, the group's or the others' bits, as the kernel does", () => {
    const alice = { name: "alice", uid: 1000, gid: 1000, home: "/home/alice", shell: "/bin/sh" };
    const stats = new Map([
      ["/srv/app/mine", { uid: 1000, gid: 1000, mode: 0o40700, isDirectory: true }],
      ["/srv/app/team", { uid: 0, gid: 50, mode: 0o40750, isDirectory: true }],
      ["/srv/app/key.pem", { uid: 0, gid: 0, mode: 0o100600, isDirectory: false }],
    ]);
    const text =
      "services:\n  app:\n    volumes:\n      - ./mine:/a\n      - ./team:/b\n      - ./key.pem:/c\n";
    const host = { ...ROOTLESS, bindAccess: { user: alice, groups: [1000, 50], stats } };
    const { findings, codes } = runRule(rule, text, host);
    expect(codes).toEqual(["6:compose.bind-unreadable"]);
    expect(findings[0]?.message).toContain("mode 600, owner 0: alice cannot read it");
  });

  it("does not run without bind access facts (rootful, or not a live host)", () => {
    expect(runRule(rule, "services:\n  app:\n    volumes:\n      - ./x:/x\n").codes).toEqual([]);
  });
});
