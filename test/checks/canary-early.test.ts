// The canary's containers start before the checks load (startCanaryEarly): the check takes the
// runs over instead of starting its own, and what no check took is removed.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check, discardEarlyCanary, startCanaryEarly } from "../../checks/canary.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { runCheck } from "../../src/doctor/runner.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { notStarted } from "../../src/host/results.js";
import { lookupUser } from "../../src/host/users.js";
import { HOSTS } from "../helpers.js";

const CI = path.join(HOSTS, "debian-12-ci-canary");
const podmanRuns = (host: FixtureHost) =>
  host.calls.filter((c) => c.argv[0] === "podman" && c.argv[1] === "run" && !c.argv.includes("--ulimit"));

describe("the canary started early", () => {
  it("starts both runs for root and the rootless target, and the check takes them over", async () => {
    const host = new FixtureHost(CI);
    const alice = await lookupUser(host, "alice");
    if (!alice) throw new Error("fixture has no alice");
    await startCanaryEarly(host, alice);
    const early = podmanRuns(host);
    // The network run, as root and as alice, before any check ran.
    expect(early.map((c) => [c.user ?? "root", c.argv.includes("none") ? "none" : "default"]).sort()).toEqual(
      [
        ["alice", "default"],
        ["root", "default"],
      ],
    );
    const facts = await gatherFacts(host, { user: "alice" });
    const result = await runCheck(check, host, facts, 5000);
    // The check judged the early runs: its own are the runs without a network, made because
    // those with one failed here (no more network runs than the early ones).
    const later = podmanRuns(host).slice(early.length);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((c) => c.argv.includes("none"))).toBe(true);
    expect(result.findings.map((f) => f.code)).toContain("canary.network-failed");
  });

  it("what no check took over is removed, and a second doctor run starts its own", async () => {
    const host = new FixtureHost(CI);
    const alice = await lookupUser(host, "alice");
    if (!alice) throw new Error("fixture has no alice");
    const removed: string[] = [];
    const makeTempTree = host.makeTempTree.bind(host);
    host.makeTempTree = async (files, dirs, owner) => {
      const tree = await makeTempTree(files, dirs, owner);
      return { ...tree, cleanup: async () => void removed.push(owner.name) };
    };
    await startCanaryEarly(host, alice);
    await discardEarlyCanary();
    expect(removed.sort()).toEqual(["alice", "root"]);
    const before = podmanRuns(host).length;
    const facts = await gatherFacts(host, { user: "alice" });
    await runCheck(check, host, facts, 5000);
    expect(podmanRuns(host).length).toBe(before + 4);
  });

  it("lets a run no check took end on its own, and stops one that hangs after 3 s (with its removal)", async () => {
    const host = new FixtureHost(CI, { commands: [{ argv: ["podman", "run"], prefix: true, hang: true }] });
    const alice = await lookupUser(host, "alice");
    if (!alice) throw new Error("fixture has no alice");
    await startCanaryEarly(host, alice);
    const started = Date.now();
    await discardEarlyCanary();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - started).toBeLessThan(10000);
    // Killed before Podman's --rm: each container is removed by its name.
    const names = podmanRuns(host).map((c) => c.argv[c.argv.indexOf("--name") + 1]);
    const removals = host.calls.filter((c) => c.argv[1] === "rm").map((c) => c.argv.at(-1));
    expect(removals.sort()).toEqual(names.sort());
  }, 20000);

  it("with no podman at all, the runs started early end the check as soon as the first ends", async () => {
    const host = new FixtureHost(CI);
    const run = host.run.bind(host);
    const asked: string[] = [];
    host.run = (argv, options) => {
      asked.push(argv.join(" "));
      return argv[0] === "podman"
        ? Promise.resolve(notStarted(argv, "podman: command not found", true))
        : run(argv, options);
    };
    const alice = await lookupUser(host, "alice");
    if (!alice) throw new Error("fixture has no alice");
    await startCanaryEarly(host, alice);
    const facts = await gatherFacts(host, { user: "alice" });
    const result = await runCheck(check, host, facts, 5000);
    expect(result.findings.map((f) => f.code)).toEqual(["canary.no-podman"]);
    expect(result.status).toBe("fail");
    expect(asked.filter((a) => a.startsWith("podman run")).length).toBe(2); // the early ones only
    await discardEarlyCanary({ now: true });
  });
});
