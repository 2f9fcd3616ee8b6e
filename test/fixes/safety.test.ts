// Issue 10, the safety of `podlift fix` and `podlift undo`: folders a fix made are removed by undo
// (5); host-derived names cannot inject commands into `fix --script` (12); undo reads journals
// only from podlift's own runs (13); one fix run at a time, locked before planning (14); temporary
// files a killed run left are cleaned up (16). Every fixture tree is built here, in temp folders.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checks } from "../../checks/index.js";
import { fixes } from "../../fixes/index.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { type Journal, JournalStore, LockedError } from "../../src/fix/journal.js";
import { planFixes } from "../../src/fix/planning.js";
import { renderScript } from "../../src/fix/render.js";
import { applyAndVerify, fixLock, undoRun } from "../../src/fix/session.js";
import type { Plan } from "../../src/fix/types.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import type { RunOptions } from "../../src/host/types.js";
import { PASSWD, tempHost, USER } from "../helpers.js";
import { planOn } from "./fix-helpers.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid as number;

function podlift(args: string[], cwd = os.tmpdir()) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, CI: "true" }, timeout: 60000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

function testPlan(changes: Plan["changes"], fixId = "test"): Plan {
  return { fixId, title: fixId, risk: "safe", summary: "", changes, notes: [], verify: [] };
}

async function engineOn(files: Record<string, string> = {}, commands: { argv: string[] }[] = []) {
  const root = tempHost({ "etc/passwd": "root:x:0:0::/root:/bin/sh\n", ...files }, { commands });
  const host = new FixtureHost(root);
  const before = await runDoctor({
    checks,
    host,
    facts: await gatherFacts(host),
    version: "t",
    only: ["shared-mount"],
  });
  const apply = (plans: Plan[]) =>
    applyAndVerify({ before, host, plans, checks, fixes, factOptions: {}, version: "t" });
  return { root, host, apply, at: (p: string) => path.join(root, p) };
}

const newFile = (p: string, after = "x\n"): Plan["changes"][number] => ({
  kind: "write-file",
  path: p,
  before: null,
  after,
  mode: 0o644,
  why: `write ${p}`,
});

async function journalOf(host: FixtureHost, runId: string): Promise<Journal> {
  return (await new JournalStore(host, host.writer()).load(runId)) as Journal;
}

describe("5: undo removes the folders a fix created, and only those", () => {
  it("journals the folders a write made and removes them on undo, deepest first", async () => {
    const t = await engineOn();
    const result = await t.apply([
      testPlan([
        newFile("/etc/containers/containers.conf.d/podlift.conf"),
        newFile("/etc/containers/registries.conf.d/podlift.conf"),
      ]),
    ]);
    expect(result.outcomes[0]?.status).toBe("applied");
    const entries = (await journalOf(t.host, result.runId)).fixes[0]?.entries;
    expect(entries?.map((e) => (e.kind === "file" ? e.createdDirs : null))).toEqual([
      ["/etc/containers", "/etc/containers/containers.conf.d"],
      ["/etc/containers/registries.conf.d"],
    ]);
    const undone = await undoRun(t.host, result.runId, false);
    expect(undone.problems).toEqual([]);
    expect(existsSync(t.at("etc/containers"))).toBe(false);
    expect(readdirSync(t.at("etc"))).toEqual(["passwd"]);
  });

  it("never removes a folder that existed before, nor one someone put a file in", async () => {
    const t = await engineOn({ "etc/containers/policy.json": "{}\n" });
    const result = await t.apply([
      testPlan([
        newFile("/etc/containers/containers.conf.d/podlift.conf"),
        newFile("/etc/containers/registries.conf.d/a/b/podlift.conf"),
      ]),
    ]);
    const entries = (await journalOf(t.host, result.runId)).fixes[0]?.entries;
    expect(entries?.map((e) => (e.kind === "file" ? e.createdDirs : null))).toEqual([
      ["/etc/containers/containers.conf.d"],
      [
        "/etc/containers/registries.conf.d",
        "/etc/containers/registries.conf.d/a",
        "/etc/containers/registries.conf.d/a/b",
      ],
    ]);
    // Someone else's file in a folder podlift made: that folder and the ones above it stay.
    writeFileSync(t.at("etc/containers/registries.conf.d/a/theirs.conf"), "theirs\n");
    const undone = await undoRun(t.host, result.runId, false);
    expect(undone.problems).toEqual([]);
    expect(existsSync(t.at("etc/containers/containers.conf.d"))).toBe(false);
    expect(existsSync(t.at("etc/containers/registries.conf.d/a/b"))).toBe(false);
    expect(readdirSync(t.at("etc/containers/registries.conf.d/a"))).toEqual(["theirs.conf"]);
    expect(readdirSync(t.at("etc/containers")).sort()).toEqual(["policy.json", "registries.conf.d"]);
  });

  it("a fix rolled back for a failed step removes the folders it made too", async () => {
    const t = await engineOn({}, []);
    const result = await t.apply([
      testPlan([
        newFile("/etc/containers/containers.conf.d/podlift.conf"),
        { kind: "command", argv: ["no-such-step"], why: "fails", needsRoot: false },
      ]),
    ]);
    expect(result.outcomes[0]?.status).toBe("rolled-back");
    expect(existsSync(t.at("etc/containers"))).toBe(false);
  });

  it("the short-names fix: undo leaves no registries.conf.d behind (Debian-like host without it)", async () => {
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "etc/containers/registries.conf": "# no unqualified-search-registries here\n",
      },
      { user: USER },
    );
    const { plan, apply } = await planOn(root, { only: ["short-names"] });
    expect(plan("short-names").changes[0]).toMatchObject({
      path: "/etc/containers/registries.conf.d/90-podlift-shortnames.conf",
      before: null,
    });
    const result = await apply(["short-names"]);
    expect(result.outcomes[0]).toMatchObject({ status: "applied", verified: true });
    expect(existsSync(path.join(root, "etc/containers/registries.conf.d"))).toBe(true);
    expect((await undoRun(new FixtureHost(root), result.runId, false)).problems).toEqual([]);
    expect(readdirSync(path.join(root, "etc/containers"))).toEqual(["registries.conf"]);
  });
});

describe("12: fix --script never lets a host-derived name run as a command", () => {
  const NAME = "x\ntouch PWNED\n.json";

  it("quotes and escapes names, reasons, notes and contents; sh -n passes; running it injects nothing", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-script-"));
    mkdirSync(path.join(dir, "cdi"));
    const spec = path.join(dir, "cdi", NAME);
    writeFileSync(spec, "{}\n");
    chmodSync(spec, 0o600);
    const content = "a\u001b[2Jb\nPODLIFT_EOF\n'q' %s \\n\r\n\ttab\n";
    const plan: Plan = {
      ...testPlan([
        { kind: "command", argv: ["chmod", "0644", spec], why: `make ${spec} readable`, needsRoot: true },
        {
          kind: "write-file",
          path: path.join(dir, `y\n$(touch PWNED2)\n'`),
          before: null,
          after: content,
          mode: 0o644,
          why: "w\ntouch PWNED3",
        },
      ]),
      fixId: "cdi-spec-mode",
      summary: `read ${spec}\ntouch PWNED4`,
      notes: [`note\ntouch PWNED5`],
    };
    const script = renderScript([plan]);
    // Not one control character is written raw (newlines only end lines), no line is the payload.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
    expect(script).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    for (const line of script.split("\n")) {
      if (line.startsWith("#")) continue;
      expect(line).not.toMatch(/^\s*touch /);
    }
    expect(script).toContain(`# make ${dir}/cdi/x\\x0atouch PWNED\\x0a.json readable`);
    execFileSync("sh", ["-n", "-c", script]);
    execFileSync("sh", ["-c", script], { cwd: dir });
    expect(readdirSync(dir).filter((n) => n.startsWith("PWNED"))).toEqual([]);
    expect(statSync(spec).mode & 0o777).toBe(0o644);
    expect(readFileSync(path.join(dir, `y\n$(touch PWNED2)\n'`), "utf8")).toBe(content);
  });

  it("leaves out, with a warning and exit 1, a step whose name cannot be written (ends in a newline)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-script-"));
    const script = renderScript([
      testPlan([
        { kind: "command", argv: ["touch", path.join(dir, "kept")], why: "a", needsRoot: true },
        { kind: "command", argv: ["touch", path.join(dir, "z\n")], why: "b", needsRoot: true },
      ]),
    ]);
    execFileSync("sh", ["-n", "-c", script]);
    const r = spawnSync("sh", ["-c", script], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toContain("left out of this script");
    expect(readdirSync(dir)).toEqual(["kept"]);
  });

  it("the cdi-spec-mode plan for a spec named with newlines renders a script sh accepts", async () => {
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        [`etc/cdi/${NAME}`]:
          '{"cdiVersion":"0.6.0","kind":"v.com/d","devices":[{"name":"a","containerEdits":{}}]}\n',
      },
      { user: USER, stat: { [`/etc/cdi/${NAME}`]: { mode: 0o600, uid: 0 } } },
    );
    const { plan } = await planOn(root);
    const script = renderScript([plan("cdi-spec-mode")]);
    execFileSync("sh", ["-n", "-c", script]);
    expect(script).toContain(`chmod 0644 "$(printf '/etc/cdi/x\\012touch PWNED\\012.json')"`);
    for (const line of script.split("\n")) expect(line).not.toMatch(/^\s*touch /);
  });
});

describe("13: undo reads journals only from podlift's own runs", () => {
  async function withOutsideJournal() {
    const t = await engineOn({}, [{ argv: ["pwned"] }]);
    // A journal outside the state folder whose undo would run a command.
    const outside: Journal = {
      id: "20250101T000000Z-abcd",
      startedAt: "",
      user: "root",
      fixes: [
        { fixId: "x", status: "applied", entries: [{ kind: "command", argv: ["true"], undo: ["pwned"] }] },
      ],
    };
    mkdirSync(t.at("tmp/trav"), { recursive: true });
    writeFileSync(t.at("tmp/trav/journal.json"), JSON.stringify(outside));
    return { ...t, outside };
  }

  it("refuses a path as a run id and runs nothing", async () => {
    const t = await withOutsideJournal();
    for (const id of ["../../tmp/trav", "../../../tmp/trav", "/tmp/trav", "20250101T000000Z-abcd/../../x"]) {
      const r = await undoRun(t.host, id, false);
      expect(r.runId).toBeNull();
      expect(r.problems[0]).toContain("is not a fix run id");
    }
    expect(t.host.calls.map((c) => c.argv[0])).not.toContain("pwned");
  });

  it("a well-formed id must be a listed run: a symlinked run folder is not one", async () => {
    const t = await withOutsideJournal();
    mkdirSync(t.at("var/lib/podlift/runs"), { recursive: true });
    symlinkSync(t.at("tmp/trav"), t.at(`var/lib/podlift/runs/${t.outside.id}`));
    const store = new JournalStore(t.host, t.host.writer());
    expect(await store.list()).toEqual([]);
    expect(await store.load(t.outside.id)).toBeNull();
    const r = await undoRun(t.host, t.outside.id, false);
    expect(r).toMatchObject({ runId: null, problems: [expect.stringContaining("no fix run")] });
    expect(await undoRun(t.host, undefined, false)).toMatchObject({ runId: null, problems: [] });
    expect(t.host.calls.map((c) => c.argv[0])).not.toContain("pwned");
  });

  it("the CLI exits 2 for a path given to undo --run and reads nothing", async () => {
    const t = await withOutsideJournal();
    const r = await podlift(["undo", "--run", "../../tmp/trav", "--root", t.root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--run takes a run id");
    const unknown = await podlift(["undo", "--run", "20250101T000000Z-ffff", "--root", t.root]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no fix run 20250101T000000Z-ffff");
  });
});

/** A fixture host whose usermod really adds the ranges, as the real one does. */
class UsermodHost extends FixtureHost {
  override async run(argv: readonly string[], options: RunOptions = {}) {
    if (argv[0] === "/usr/sbin/usermod") {
      this.calls.push({ argv });
      // Slow enough that two runs overlap, as real ones do.
      await new Promise((r) => setTimeout(r, 20));
      const [from] = (argv[2] as string).split("-");
      const end = Number((argv[2] as string).split("-")[1]);
      for (const f of ["etc/subuid", "etc/subgid"]) {
        const file = path.join(this.root, f);
        writeFileSync(
          file,
          `${readFileSync(file, "utf8")}${argv.at(-1)}:${from}:${end - Number(from) + 1}\n`,
        );
      }
      return { argv, exitCode: 0, stdout: "", stderr: "", durationMs: 20, timedOut: false };
    }
    return super.run(argv, options);
  }
}

describe("14: one fix run at a time, locked before the doctor run and planning", () => {
  /** What `podlift fix --yes` does: lock, doctor, plan, apply and verify under the one lock. */
  async function fixRun(root: string) {
    const host = new UsermodHost(root);
    const held = await fixLock(host);
    try {
      const facts = await gatherFacts(host, { user: "alice" });
      const before = await runDoctor({ checks, host, facts, version: "t", only: ["subuid-ranges"] });
      const planned = await planFixes({ host, facts }, before, fixes, ["subid-ranges"]);
      return await applyAndVerify({
        before,
        host,
        plans: planned.plans,
        checks,
        fixes,
        factOptions: { user: "alice" },
        version: "t",
        lock: held.lock,
      });
    } finally {
      await held.lock();
    }
  }

  const subidRoot = () =>
    tempHost(
      {
        "etc/passwd": PASSWD,
        "etc/subuid": "bob:100000:65536\n",
        "etc/subgid": "bob:100000:65536\n",
        "usr/sbin/usermod": "",
        "proc/sys/user/max_user_namespaces": "65536\n",
      },
      {},
    );

  it("two runs racing in one process: one applies, the other is refused; never two ranges", async () => {
    for (let i = 0; i < 10; i++) {
      const root = subidRoot();
      const results = await Promise.allSettled([fixRun(root), fixRun(root)]);
      const applied = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter((r) => r.status === "rejected");
      expect(applied).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(LockedError);
      const lines = readFileSync(path.join(root, "etc/subuid"), "utf8").split("\n");
      expect(lines.filter((l) => l.startsWith("alice:"))).toHaveLength(1);
    }
  });

  it("applyAndVerify refuses a lock that is no longer the caller's", async () => {
    const root = subidRoot();
    const host = new UsermodHost(root);
    const held = await fixLock(host);
    writeFileSync(path.join(root, "var/lib/podlift/lock"), `${JSON.stringify({ pid: 1, token: "x" })}\n`);
    await expect(applyAndVerifyWith(host, held.lock)).rejects.toThrow("no longer this run's");
  });

  async function applyAndVerifyWith(host: FixtureHost, lock: Awaited<ReturnType<typeof fixLock>>["lock"]) {
    const before = await runDoctor({ checks, host, facts: await gatherFacts(host), version: "t", only: [] });
    return applyAndVerify({ before, host, plans: [], checks, fixes, factOptions: {}, version: "t", lock });
  }

  it("names the lock file as seen under --root; a stale lock is taken over and said so", async () => {
    const root = subidRoot();
    const host = new FixtureHost(root);
    const store = new JournalStore(host, host.writer());
    const lock = await store.lock();
    await expect(store.lock()).rejects.toThrow(
      `another podlift fix or undo is running (pid ${process.pid}); wait for it to finish (lock file: ${root}/var/lib/podlift/lock, that is /var/lib/podlift/lock under --root ${root})`,
    );
    await lock();
    expect(existsSync(path.join(root, "var/lib/podlift/lock"))).toBe(false);
    // Left by a process that is gone: a bare pid (older podlift), or a record.
    for (const content of [`${deadPid()}\n`, `${JSON.stringify({ pid: deadPid(), token: "t" })}\n`]) {
      writeFileSync(path.join(root, "var/lib/podlift/lock"), content);
      const held = await fixLock(host);
      expect(held.notices[0]).toMatch(/^took over a stale lock left by pid \d+: that process is not running/);
      await held.lock();
    }
    // A live pid that is not the process that took the lock (its start time differs): reused.
    writeFileSync(
      path.join(root, "var/lib/podlift/lock"),
      JSON.stringify({ pid: process.pid, token: "t", start: "1" }),
    );
    const reused = await store.lock();
    expect(reused.recovered).toContain("its pid was reused");
    await reused();
    // A holder in another pid namespace (another container) cannot be judged from here.
    const ns = JSON.stringify({ pid: deadPid(), token: "t", pidNamespace: "pid:[1]" });
    writeFileSync(path.join(root, "var/lib/podlift/lock"), ns);
    await expect(store.lock()).rejects.toThrow("in another pid namespace");
    expect(readFileSync(path.join(root, "var/lib/podlift/lock"), "utf8")).toBe(ns);
  });

  it("two runs finding the same stale lock: exactly one takes it", async () => {
    for (let i = 0; i < 20; i++) {
      const root = subidRoot();
      mkdirSync(path.join(root, "var/lib/podlift"), { recursive: true });
      writeFileSync(path.join(root, "var/lib/podlift/lock"), `${deadPid()}\n`);
      const stores = [0, 1].map(() => {
        const host = new FixtureHost(root);
        return new JournalStore(host, host.writer());
      });
      const results = await Promise.allSettled(stores.map((s) => s.lock()));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(readdirSync(path.join(root, "var/lib/podlift"))).toEqual(["lock"]);
    }
  });

  const chrootable =
    process.getuid?.() === 0 && existsSync("/usr/sbin/usermod") && existsSync("/usr/sbin/chroot")
      ? null
      : "needs root, chroot and usermod";

  /** A --root tree where chroot'ed usermod really works: usermod, its libraries, the account files. */
  function usermodRoot(): string {
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-race-"));
    const libs = execFileSync("ldd", ["/usr/sbin/usermod"]).toString().match(/\/\S+/g) ?? [];
    for (const file of ["/usr/sbin/usermod", ...libs]) {
      mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
      copyFileSync(file, path.join(root, file));
      chmodSync(path.join(root, file), 0o755);
    }
    const files: Record<string, string> = {
      "etc/passwd": PASSWD,
      "etc/group": "root:x:0:\nalice:x:1000:\n",
      "etc/shadow": "root:*:19000:0:99999:7:::\nalice:*:19000:0:99999:7:::\n",
      "etc/gshadow": "root:*::\nalice:!::\n",
      "etc/subuid": "bob:100000:65536\n",
      "etc/subgid": "bob:100000:65536\n",
      "proc/sys/user/max_user_namespaces": "65536\n",
    };
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      writeFileSync(path.join(root, p), c);
    }
    return root;
  }

  it.skipIf(chrootable !== null)(
    "the built CLI: concurrent `fix --yes` pairs on one --root never give a user two ranges",
    async () => {
      let doubled = 0;
      let raced = 0;
      const pairs = 8;
      for (let i = 0; i < pairs; i++) {
        const root = usermodRoot();
        const args = ["fix", "--yes", "--root", root, "--user", "alice", "--only", "subid-ranges"];
        const [a, b] = await Promise.all([podlift(args), podlift(args)]);
        const alice = readFileSync(path.join(root, "etc/subuid"), "utf8")
          .split("\n")
          .filter((l) => l.startsWith("alice:"));
        if (alice.length > 1) doubled++;
        expect([a.code, b.code].sort()).toEqual([0, 1]);
        const loser = a.code === 1 ? a : b;
        // Either the two really overlapped and the loser was refused by the lock, or (on a loaded
        // machine) the loser started after the winner was done and found nothing left to apply.
        if (loser.stderr.includes("another podlift fix or undo is running")) {
          raced++;
          expect(loser.stderr).toContain(
            `lock file: ${root}/var/lib/podlift/lock, that is /var/lib/podlift/lock`,
          );
        } else expect(loser.stdout).not.toContain("subid-ranges: applied");
      }
      expect(doubled).toBe(0);
      console.log(`${raced} of ${pairs} pairs overlapped and met the lock`);
    },
    120000,
  );
});

describe("16: temporary files a killed run left are cleaned by the next fix or undo", () => {
  it("removes only podlift's, of dead processes, regular files, in folders it wrote", async () => {
    const t = await engineOn({ "etc/example.conf": "original\n", "opt/keep": "" });
    const result = await t.apply([
      testPlan([
        {
          kind: "write-file",
          path: "/etc/example.conf",
          before: "original\n",
          after: "new\n",
          mode: 0o644,
          why: "w",
        },
      ]),
    ]);
    expect(result.outcomes[0]?.status).toBe("applied");
    const dead = deadPid();
    const run = `var/lib/podlift/runs/${result.runId}`;
    const stale = [
      `etc/.example.conf.podlift-${dead}-1700000000000`,
      `etc/.subuid.podlift-${dead}-1700000000001`,
      `${run}/.journal.json.podlift-${dead}-1700000000002`,
      `${run}/backups/.0-_etc_example.conf.podlift-${dead}-1700000000003`,
      `var/lib/podlift/.lock.podlift-${dead}-1700000000004`,
    ];
    const kept = [
      `etc/.example.conf.podlift-${process.pid}-1700000000000`, // a live process: still writing
      `etc/.example.conf.podlift-${dead}`, // not the pattern
      `etc/example.conf.podlift-${dead}-1`, // not hidden: not the pattern
      `opt/.keep.podlift-${dead}-1700000000000`, // a folder no journal touched
    ];
    for (const p of [...stale, ...kept]) writeFileSync(t.at(p), "half\n");
    mkdirSync(t.at(`etc/.dir.podlift-${dead}-1`)); // not a regular file
    symlinkSync(t.at("opt/keep"), t.at(`etc/.link.podlift-${dead}-1`));
    const undone = await undoRun(t.host, undefined, false);
    expect(undone.problems).toEqual([]);
    expect(undone.notices?.[0]).toContain(`removed ${stale.length} temporary file(s)`);
    for (const p of stale) expect(existsSync(t.at(p)), p).toBe(false);
    for (const p of kept) expect(existsSync(t.at(p)), p).toBe(true);
    expect(lstatSync(t.at(`etc/.dir.podlift-${dead}-1`)).isDirectory()).toBe(true);
    expect(lstatSync(t.at(`etc/.link.podlift-${dead}-1`)).isSymbolicLink()).toBe(true);
    expect(readFileSync(t.at("etc/example.conf"), "utf8")).toBe("original\n");
  });

  it("a write SIGKILLed before its rename: the next fix removes the temporary file it left", async () => {
    const t = await engineOn({ "etc/example.conf": "original\n" });
    const change = { ...newFile("/etc/example.conf", "new\n"), before: "original\n" };
    expect((await t.apply([testPlan([change])])).outcomes[0]?.status).toBe("applied");
    const target = t.at("etc/example.conf");
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(path.join(import.meta.dirname, "../../dist/src/host/atomic.js"))};
      await writeFileAtomic(${JSON.stringify(target)}, "half-made\\n", { beforeRename: () => process.kill(process.pid, "SIGKILL") });`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script]);
    expect(r.signal).toBe("SIGKILL");
    const temps = () => readdirSync(t.at("etc")).filter((n) => n.startsWith(".example.conf.podlift-"));
    expect(temps()).toHaveLength(1);
    const held = await fixLock(t.host);
    await held.lock();
    expect(held.notices).toEqual([
      expect.stringMatching(
        /^removed 1 temporary file\(s\) an interrupted podlift run left: .*\/etc\/\.example\.conf\.podlift-\d+-\d+$/,
      ),
    ]);
    expect(temps()).toEqual([]);
    expect(readFileSync(target, "utf8")).toBe("new\n");
  });
});
