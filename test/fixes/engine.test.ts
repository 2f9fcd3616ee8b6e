// The fix engine's guarantees: it refuses stale plans, rolls a failed fix back, never undoes
// over someone else's edit without --force, runs one at a time, and a kill mid-write loses nothing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checks } from "../../checks/index.js";
import { fixes } from "../../fixes/index.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { JournalStore, LockedError } from "../../src/fix/journal.js";
import { applyAndVerify, undoRun } from "../../src/fix/session.js";
import type { Plan } from "../../src/fix/types.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { tempHost } from "../helpers.js";

const FILE = "/etc/example.conf";

async function setup(commands: { argv: string[]; exitCode?: number; stderr?: string }[] = []) {
  const root = tempHost(
    { "etc/example.conf": "original\n", "etc/passwd": "root:x:0:0::/root:/bin/sh\n" },
    { commands },
  );
  const host = new FixtureHost(root);
  const facts = await gatherFacts(host);
  const before = await runDoctor({ checks, host, facts, version: "t", only: ["shared-mount"] });
  const plan = (changes: Plan["changes"]): Plan => ({
    fixId: "test",
    title: "test",
    risk: "safe",
    summary: "",
    changes,
    notes: [],
    verify: [],
  });
  const apply = (plans: Plan[]) =>
    applyAndVerify({ before, host, plans, checks, fixes, factOptions: {}, version: "t" });
  return { root, host, plan, apply, file: () => readFileSync(path.join(root, FILE), "utf8") };
}

const write = (after: string, before = "original\n"): Plan["changes"][number] => ({
  kind: "write-file",
  path: FILE,
  before,
  after,
  mode: 0o644,
  why: "w",
});

describe("fix engine", () => {
  it("refuses a plan whose file changed since it was made, and writes nothing", async () => {
    const t = await setup();
    writeFileSync(path.join(t.root, FILE), "edited by someone\n");
    const result = await t.apply([t.plan([write("new\n")])]);
    expect(result.outcomes).toEqual([
      {
        fixId: "test",
        status: "refused",
        error: `${FILE} changed since the plan was made; run podlift fix again`,
      },
    ]);
    expect(t.file()).toBe("edited by someone\n");
  });

  it("rolls back what a fix did when a later step fails", async () => {
    const t = await setup([{ argv: ["false-step"], exitCode: 1, stderr: "boom" }]);
    const result = await t.apply([
      t.plan([write("new\n"), { kind: "command", argv: ["false-step"], why: "x", needsRoot: false }]),
    ]);
    expect(result.outcomes[0]).toMatchObject({
      status: "rolled-back",
      error: expect.stringContaining("`false-step` failed (exit 1): boom"),
    });
    expect(t.file()).toBe("original\n");
  });

  it("undo leaves a file someone edited after the fix, unless forced", async () => {
    const t = await setup();
    const result = await t.apply([t.plan([write("new\n")])]);
    expect(result.outcomes[0]?.status).toBe("applied");
    writeFileSync(path.join(t.root, FILE), "edited later\n");
    const refused = await undoRun(t.host, undefined, false);
    expect(refused.problems[0]).toContain("was changed after podlift wrote it");
    expect(t.file()).toBe("edited later\n");
    const forced = await undoRun(t.host, result.runId, true);
    expect(forced.problems).toEqual([]);
    expect(t.file()).toBe("original\n");
  });

  it("removes a file that did not exist before, and the folder it made for it, on undo", async () => {
    const t = await setup();
    await t.apply([
      t.plan([
        { kind: "write-file", path: "/etc/new.d/a.conf", before: null, after: "x\n", mode: 0o600, why: "w" },
      ]),
    ]);
    expect(readFileSync(path.join(t.root, "etc/new.d/a.conf"), "utf8")).toBe("x\n");
    await undoRun(t.host, undefined, false);
    expect(existsSync(path.join(t.root, "etc/new.d"))).toBe(false);
    expect(readdirSync(path.join(t.root, "etc")).sort()).toEqual(["example.conf", "passwd"]);
  });

  it("lets one fix run hold the lock at a time, and takes over a dead holder's lock", async () => {
    const t = await setup();
    const store = new JournalStore(t.host, t.host.writer());
    const release = await store.lock();
    await expect(t.apply([t.plan([write("new\n")])])).rejects.toThrow(LockedError);
    expect(t.file()).toBe("original\n");
    await release();
    // A lock left by a process that no longer exists is stale.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    writeFileSync(path.join(t.root, "var/lib/podlift/lock"), `${dead}\n`);
    const result = await t.apply([t.plan([write("new\n")])]);
    expect(result.outcomes[0]?.status).toBe("applied");
  });

  it("a kill between write and rename leaves the original file intact", () => {
    const root = tempHost({ "etc/subuid": "alice:100000:65536\n" });
    const target = path.join(root, "etc/subuid");
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(path.join(import.meta.dirname, "../../dist/src/host/atomic.js"))};
      await writeFileAtomic(${JSON.stringify(target)}, "half-made\\n", { beforeRename: () => process.kill(process.pid, "SIGKILL") });`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script]);
    expect(r.signal).toBe("SIGKILL");
    expect(readFileSync(target, "utf8")).toBe("alice:100000:65536\n");
    // The temporary file is left beside it, named so nobody mistakes it for the real one.
    expect(readdirSync(path.dirname(target)).filter((n) => n.startsWith(".subuid.podlift-"))).toHaveLength(1);
    expect(execFileSync("cat", [target]).toString()).toBe("alice:100000:65536\n");
  });
});
