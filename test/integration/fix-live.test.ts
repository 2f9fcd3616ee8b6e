// podlift fix on this machine, for a throwaway user who has no subordinate ids: the fix runs
// usermod and podman system migrate, the check passes, Podman really maps 65536 ids for the
// user, and podlift undo puts /etc/subuid and /etc/subgid back byte for byte.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveJournalTurn, runPodlift } from "../helpers.js";
import { createUser, liveUnavailable, removeUser } from "./live.js";

const skip = liveUnavailable(["podman"]);
const USER = "podlift-t-fix";

const podlift = (args: string[]) => runPodlift(args, { timeoutMs: 120000 });

const uidMap = () =>
  execFileSync("runuser", ["-u", USER, "--", "podman", "unshare", "cat", "/proc/self/uid_map"], {
    cwd: "/",
    env: { ...process.env, HOME: `/home/${USER}` },
  })
    .toString()
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number));

// Other test files run podlift fix and compose fix on this machine too: one at a time.
let release: (() => void) | undefined;
beforeAll(async () => {
  release = await liveJournalTurn();
}, 300000);
afterAll(() => release?.());

describe.skipIf(skip !== null)("podlift fix on this machine", () => {
  let before: { subuid: Buffer; subgid: Buffer };
  beforeAll(() => {
    createUser(USER, false);
    before = { subuid: readFileSync("/etc/subuid"), subgid: readFileSync("/etc/subgid") };
  });
  afterAll(() => removeUser(USER));

  it("without a terminal and without --yes, shows the plan, changes nothing and exits 1", async () => {
    const r = await podlift(["fix", "--user", USER, "--only", "subid-ranges"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("[subid-ranges] Add subordinate uid/gid ranges");
    expect(r.stdout).toMatch(
      /\$ \/usr\/sbin\/usermod --add-subuids \d+-\d+ --add-subgids \d+-\d+ podlift-t-fix/,
    );
    expect(r.stderr).toContain("no terminal to ask on");
    expect(readFileSync("/etc/subuid").equals(before.subuid)).toBe(true);
  });

  it("--yes applies, verifies, and Podman maps the new range; undo restores the files byte for byte", async () => {
    expect(uidMap()).toHaveLength(1); // only the user's own id, before
    const r = await podlift(["fix", "--yes", "--user", USER, "--only", "subid-ranges"]);
    expect(r.stdout).toContain("✔ subid-ranges: applied and verified");
    expect(r.code).toBe(0);
    const map = uidMap();
    expect(map).toHaveLength(2);
    expect(map[1]?.[2]).toBe(65536);
    const runId = /podlift undo --run (\S+)/.exec(r.stdout)?.[1];
    const undo = await podlift(["undo", "--run", runId as string]);
    expect(undo.code).toBe(0);
    expect(readFileSync("/etc/subuid").equals(before.subuid)).toBe(true);
    expect(readFileSync("/etc/subgid").equals(before.subgid)).toBe(true);
  });

  it("a dry run prints JSON plans and changes nothing", async () => {
    const r = await podlift([
      "fix",
      "--dry-run",
      "--format",
      "json",
      "--user",
      USER,
      "--only",
      "subid-ranges",
    ]);
    expect(r.code).toBe(0);
    const { plans } = JSON.parse(r.stdout);
    expect(plans[0]).toMatchObject({ fixId: "subid-ranges", risk: "safe", verify: ["subuid-ranges"] });
    expect(readFileSync("/etc/subuid").equals(before.subuid)).toBe(true);
  });

  it("refuses a second fix run while one holds the lock", async () => {
    const { JournalStore } = await import("../../src/fix/journal.js");
    const { LiveHost } = await import("../../src/host/live-host.js");
    const host = new LiveHost("/");
    const release = await new JournalStore(host, host.writer()).lock();
    try {
      const r = await podlift(["fix", "--yes", "--user", USER, "--only", "subid-ranges"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("another podlift fix or undo is running");
      // Taken before the doctor run: the refused run planned nothing and names the lock file.
      expect(r.stderr).toContain("(lock file: /var/lib/podlift/lock)");
      expect(r.stdout).toBe("");
      expect(readFileSync("/etc/subuid").equals(before.subuid)).toBe(true);
    } finally {
      await release();
    }
  });
});

describe.skipIf(skip !== null)("a canary remedy proven before it is offered, on this machine", () => {
  const DROP_IN = "/etc/containers/containers.conf.d/90-podlift-ulimits.conf";
  const canary = async () => {
    const r = await podlift(["doctor", "--only", "canary", "--format", "json"]);
    const report = JSON.parse(r.stdout) as {
      checks: { findings: { code: string; evidence?: { cause?: string; proven?: string[] } }[] }[];
    };
    return report.checks[0]?.findings ?? [];
  };

  it("the rootful canary starts, or its failure names a remedy it proved; that fix applies, verifies and undoes", async () => {
    const findings = await canary();
    const failed = findings.find((f) => f.code === "canary.failed");
    if (!failed) {
      expect(findings.map((f) => f.code)).toContain("canary.ok");
      return;
    }
    // This project's CI machine: root without CAP_SYS_RESOURCE, Podman's default ulimits too high.
    expect(failed.evidence?.cause).toBe("rlimit");
    expect(failed.evidence?.proven).toEqual(["container-ulimits"]);
    expect(existsSync(DROP_IN)).toBe(false);
    const fix = await podlift(["fix", "--yes", "--only", "container-ulimits"]);
    expect(fix.stdout).toContain("✔ container-ulimits: applied and verified");
    expect((await canary()).map((f) => f.code)).toContain("canary.ok");
    const run = /podlift undo --run (\S+)/.exec(fix.stdout)?.[1];
    expect(run).toBeDefined();
    const undo = await podlift(["undo", "--run", run as string]);
    expect(undo.code).toBe(0);
    expect(existsSync(DROP_IN)).toBe(false);
  }, 180000);
});
