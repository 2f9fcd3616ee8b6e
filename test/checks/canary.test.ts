import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { canaryName, check, staleCanaries } from "../../checks/canary.js";
import { fix as runtimeFix } from "../../fixes/container-runtime.js";
import { fix as ulimitsFix } from "../../fixes/container-ulimits.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { classify } from "../../src/parse/classify.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

describe("canary", () => {
  it("names each container podlift-canary- and 12 hex digits, a fresh name each time", () => {
    const names = Array.from({ length: 2000 }, canaryName);
    for (const name of names) expect(name).toMatch(/^podlift-canary-[0-9a-f]{12}$/);
    expect(new Set(names).size).toBe(names.length);
    // Every digit position takes more than one value: no half is stuck at zero padding.
    for (let i = 15; i < 27; i++) expect(new Set(names.map((n) => n[i])).size).toBeGreaterThan(8);
  });

  it("starts a container with a network from a tree of host binaries: without one is implied", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["canary.ok", "canary.network-ok"]);
    const tree = r.host.calls.find((c) => c.argv[0] === "<temp-tree>");
    expect(tree?.argv).toEqual([
      "<temp-tree>",
      "/usr/bin/true",
      "/lib64/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
      "etc",
      "dev",
      "proc",
      "sys",
      "run",
      "tmp",
    ]);
    const runs = r.host.calls.filter((c) => c.argv[1] === "run").map((c) => c.argv.join(" "));
    // One run: the container is named (for removal if it is ever killed) and labelled as the canary's.
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatch(
      /^podman run --rm --name podlift-canary-[0-9a-f]{12} --label io\.podlift\.canary=true --rootfs \/tmp\/podlift-fixture-tree \/usr\/bin\/true$/,
    );
    expect(r.find("canary.ok").evidence).toMatchObject({ implied: true });
    expect(r.find("canary.ok").message).toContain("it starts with the default network");
  });

  it("names canary containers an earlier, killed run left behind, with the command that removes them", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD },
      {
        user: USER,
        commands: [
          { argv: ["podman", "--version"], stdout: "podman version 5.0.0\n" },
          {
            argv: ["podman", "ps", "-a", "--format", "json"],
            stdout: JSON.stringify([
              {
                Id: "0123456789ab",
                Names: ["podlift-canary-0123456789ab"],
                Labels: { "io.podlift.canary": "true" },
                Created: 1700000000,
              },
              { Id: "ba9876543210", Names: ["web"], Labels: { app: "shop" } },
            ]),
          },
          { argv: ["podman", "container", "inspect", "ba9876543210"], stdout: "[]" },
          { argv: ["podman", "run"], prefix: true, exitCode: 0 },
        ],
      },
    );
    const r = await runOn(check, root);
    expect(r.find("canary.leftovers")).toMatchObject({
      status: "warn",
      evidence: { containers: ["podlift-canary-0123456789ab"], count: 1 },
      remedy: expect.stringContaining("podman rm --force podlift-canary-0123456789ab"),
    });
    // This very run's container (still starting when ps listed it), and one another podlift
    // started a moment ago, are no leftovers.
    const now = 1_800_000_000;
    const listed = [
      { name: "podlift-canary-a", createdAt: now - 5 },
      { name: "podlift-canary-b", createdAt: now - 5 },
      { name: "podlift-canary-c", createdAt: now - 3600 },
      { name: "podlift-canary-d", createdAt: null },
    ];
    expect(staleCanaries(listed, new Set(["podlift-canary-a"]), now)).toEqual([
      "podlift-canary-c",
      "podlift-canary-d",
    ]);
  });

  it("names canary containers left only in Podman's storage (a run killed while creating), removable by id", async () => {
    const old = "2024-01-01T00:00:00.000000000Z";
    const stored = [
      { id: "0123456789ab".padEnd(64, "0"), names: ["podlift-canary-0123456789ab"], created: old },
      { id: "cafecafecafe".padEnd(64, "1"), names: ["podlift-canary-cafecafecafe"], created: old },
      // another podlift's, started a moment ago: not a leftover
      {
        id: "beefbeefbeef".padEnd(64, "2"),
        names: ["podlift-canary-beefbeefbeef"],
        created: new Date().toISOString(),
      },
      { id: "abcabcabcabc".padEnd(64, "3"), names: ["web"], created: old },
      { id: "not-an-id", names: ["podlift-canary-aaaaaaaaaaaa"], created: old },
    ];
    const root = storeHost(JSON.stringify(stored), [
      {
        Id: "0123456789ab",
        Names: ["podlift-canary-0123456789ab"],
        Labels: { "io.podlift.canary": "true" },
        Created: 1700000000,
      },
    ]);
    const r = await runOn(check, root);
    const f = r.find("canary.leftovers");
    expect(f.evidence).toMatchObject({
      containers: ["podlift-canary-cafecafecafe", "podlift-canary-0123456789ab"],
      count: 2,
      storageOnly: 1,
    });
    expect(f.message).toContain("1 only in Podman's storage");
    expect(f.remedy).toContain("podman rm --force cafecafecafe podlift-canary-0123456789ab");
  });

  it("a storage list that is broken, huge or not a file: no storage leftovers, no error", async () => {
    const named = "podlift-canary-0123456789ab";
    const lists = [
      `{"${named}`, // broken JSON
      JSON.stringify({ a: named }), // not a list
      JSON.stringify([1, null, {}, named]), // no container entries
      "x".repeat(9 * 1024 * 1024) + named, // over the 8 MiB bound
      null, // a FIFO
    ];
    for (const list of lists) {
      const root = storeHost(list, []);
      if (list === null) execFileSync("mkfifo", [path.join(root, STORE_LIST)]);
      const r = await runOn(check, root);
      expect(r.status).toBe("pass");
      expect(r.codes).not.toContain("canary.leftovers");
    }
  });

  it("makes the run without a network when the network run fails, and judges each", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD },
      {
        user: USER,
        commands: [
          { argv: ["podman", "--version"], stdout: "podman version 5.0.0\n" },
          { argv: ["podman", "run", "--rm", "--network", "none"], prefix: true, exitCode: 0 },
          {
            argv: ["podman", "run"],
            prefix: true,
            exitCode: 126,
            stderr: 'Error: /usr/bin/slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied"\n',
          },
        ],
      },
    );
    const r = await runOn(check, root);
    expect(r.codes).toEqual(["canary.ok", "canary.network-failed"]);
    expect(r.find("canary.ok").evidence?.implied).toBeUndefined();
    expect(r.find("canary.network-failed").evidence).toMatchObject({ cause: "tun-device" });
  });

  it("classifies a failure once, instead of dumping stderr twice", async () => {
    const r = await runOn(check, "debian-11-userns-off");
    expect(r.codes).toEqual(["canary.failed"]);
    expect(r.find("canary.failed").evidence).toMatchObject({
      cause: "userns-denied",
      error: "Error: cannot clone: Operation not permitted",
    });
  });

  it("fails when Podman is absent", async () => {
    const r = await runOn(check, "no-subuid-entry");
    expect(r.codes).toEqual(["canary.no-podman"]);
  });

  it("reports a run that hangs as a timeout cause, within the check's deadline", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD },
      {
        user: USER,
        commands: [
          { argv: ["podman", "--version"], stdout: "podman version 5.0.0\n" },
          { argv: ["podman", "run"], prefix: true, hang: true },
        ],
      },
    );
    // A 200 ms deadline on the check itself (the real one is 60 s).
    const r = await runOn({ ...check, timeoutMs: 200 }, root, { timeoutMs: 200 });
    expect(r.status).toBe("error");
    expect(r.find("check.timeout").evidence).toEqual({ timeoutMs: 200 });
    // Killed before its --rm could run: the container is removed by its name.
    const run = r.host.calls.find((c) => c.argv[1] === "run")?.argv ?? [];
    const name = run[run.indexOf("--name") + 1];
    for (let i = 0; i < 50 && !r.host.calls.some((c) => c.argv[1] === "rm"); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.host.calls.map((c) => c.argv)).toContainEqual(["podman", "rm", "--force", "--ignore", name]);
  });

  it("maps the errors seen in the field to causes", () => {
    expect(
      classify(
        "Error: runc: runc create failed: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted",
      ).code,
    ).toBe("rlimit");
    expect(
      classify('Error: /usr/bin/slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied').code,
    ).toBe("tun-device");
    expect(classify('Error: short-name "postgres" did not resolve to an alias').code).toBe("short-name");
    const locks = classify(
      "Error: allocating lock for new container: allocation failed; exceeded num_locks (2048)",
    );
    expect(locks.code).toBe("locks-exhausted");
    expect(locks.remedy).toContain("podman system renumber");
    expect(classify("something new").code).toBe("unknown");
  });

  describe("remedies proven in the same throwaway tree", () => {
    const RLIMIT =
      "Error: runc: runc create failed: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted";
    const LIMITS =
      "Limit Soft Limit Hard Limit Units\nMax processes 96365 96365 processes\nMax open files 20000 20000 files\n";
    const host = (
      commands: { argv: string[]; prefix?: boolean; exitCode?: number; stdout?: string; stderr?: string }[],
    ) =>
      tempHost(
        { "etc/passwd": PASSWD, "proc/self/limits": LIMITS },
        {
          user: USER,
          commands: [{ argv: ["podman", "--version"], stdout: "podman version 4.3.1\n" }, ...commands],
        },
      );

    it("rlimit: the host's limits as --ulimit flags start the container, so container-ulimits is offered", async () => {
      const root = host([
        { argv: ["podman", "run", "--rm", "--network", "none", "--ulimit"], prefix: true, exitCode: 0 },
        { argv: ["podman", "run"], prefix: true, exitCode: 126, stderr: RLIMIT },
      ]);
      const r = await runOn(check, root);
      const failed = r.find("canary.failed");
      expect(failed.evidence).toMatchObject({
        cause: "rlimit",
        tried: [expect.stringMatching(/^--ulimit nofile=20000:20000 --ulimit nproc=32768:32768: starts/)],
        proven: ["container-ulimits"],
      });
      expect(failed.message).toContain("podlift fix --only container-ulimits makes that the default");
      const plan = await ulimitsFix.plan({ host: new FixtureHost(root), facts: r.facts }, [failed]);
      expect(typeof plan).not.toBe("string");
      expect(await runtimeFix.plan({ host: new FixtureHost(root), facts: r.facts }, [failed])).toMatch(
        /did not show/,
      );
    });

    it("rlimit: when the container still fails with those limits, no fix is offered", async () => {
      const root = host([{ argv: ["podman", "run"], prefix: true, exitCode: 126, stderr: RLIMIT }]);
      const r = await runOn(check, root);
      const failed = r.find("canary.failed");
      expect(failed.evidence?.proven).toEqual([]);
      expect(failed.evidence?.tried).toEqual([
        expect.stringContaining(": fails: Error: runc: runc create failed"),
      ]);
      expect(await ulimitsFix.plan({ host: new FixtureHost(root), facts: r.facts }, [failed])).toMatch(
        /still did not start/,
      );
    });

    it("crun on hybrid cgroups: runc is tried, and --cgroups disabled only as a diagnosis", async () => {
      const root = host([
        {
          argv: ["podman", "info", "--format", "json"],
          stdout: JSON.stringify({ host: { ociRuntime: { name: "crun" } } }),
        },
        { argv: ["runc", "--version"], stdout: "runc version 1.1.5\n" },
        {
          argv: ["podman", "run", "--rm", "--network", "none", "--runtime", "runc"],
          prefix: true,
          exitCode: 0,
        },
        {
          argv: ["podman", "run", "--rm", "--network", "none", "--cgroups", "disabled"],
          prefix: true,
          exitCode: 0,
        },
        {
          argv: ["podman", "run"],
          prefix: true,
          exitCode: 126,
          stderr:
            "Error: OCI runtime error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2",
        },
      ]);
      const r = await runOn(check, root);
      const failed = r.find("canary.failed");
      expect(failed.evidence).toMatchObject({ cause: "crun-hybrid", proven: ["container-runtime"] });
      expect(failed.evidence?.tried).toHaveLength(2);
      const plan = await runtimeFix.plan({ host: new FixtureHost(root), facts: r.facts }, [failed]);
      if (typeof plan === "string") throw new Error(plan);
      expect(String(plan.changes[0]?.kind === "write-file" && plan.changes[0].after)).toContain(
        'runtime = "runc"',
      );
      expect(await ulimitsFix.plan({ host: new FixtureHost(root), facts: r.facts }, [failed])).toMatch(
        /another cause/,
      );
    });
  });
});

const STORE_LIST = "srv/store/overlay-containers/containers.json";

/**
 * A host whose Podman store is /srv/store (overlay): `list` as its containers.json (null: no file,
 * its folder only), `ps` as what `podman ps -a` lists, and container runs that start.
 */
function storeHost(list: string | null, ps: unknown[]): string {
  const root = tempHost(
    { "etc/passwd": PASSWD, ...(list === null ? {} : { [STORE_LIST]: list }) },
    {
      user: USER,
      commands: [
        { argv: ["podman", "--version"], stdout: "podman version 5.0.0\n" },
        {
          argv: ["podman", "info", "--format", "json"],
          stdout: JSON.stringify({
            version: { Version: "5.0.0" },
            host: { security: { rootless: true } },
            store: { graphRoot: "/srv/store", graphDriverName: "overlay" },
          }),
        },
        { argv: ["podman", "ps", "-a", "--format", "json"], stdout: JSON.stringify(ps) },
        { argv: ["podman", "run"], prefix: true, exitCode: 0 },
      ],
    },
  );
  mkdirSync(path.join(root, path.dirname(STORE_LIST)), { recursive: true });
  return root;
}
