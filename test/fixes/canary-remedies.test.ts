// The canary's remedies beyond ulimits and runc, on a fixture of this project's CI machine (Debian
// 12, Podman 4.3, runc only, root without CAP_SYS_RESOURCE, /dev/net/tun 0600, a rootless store
// on vfs): what the canary tries, what it proves, and the plans the proofs allow.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../checks/canary.js";
import { fix as migrateFix } from "../../fixes/podman-system-migrate.js";
import { fix as resetFix } from "../../fixes/podman-system-reset.js";
import { fix as networkCmdFix } from "../../fixes/rootless-network-cmd.js";
import { fix as storageFix } from "../../fixes/storage-overlay.js";
import { fix as tunFix } from "../../fixes/tun-device-mode.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import type { Finding } from "../../src/doctor/types.js";
import { undoRun } from "../../src/fix/session.js";
import { FixtureHost, type FixtureSpec } from "../../src/host/fixture-host.js";
import { classify } from "../../src/parse/classify.js";
import { runOn, scratchCopy, unnamedCalls } from "../helpers.js";
import { planOn } from "./fix-helpers.js";

const CI = "debian-12-ci-canary";
/** The canary as root for alice, with the facts the fixes plan from. */
async function canaryOn(scenario: string, spec?: FixtureSpec) {
  const r = await runOn(check, scenario, { user: "alice", spec });
  return { ...r, facts: await gatherFacts(r.host, { user: "alice" }) };
}

/** The throwaway store a fresh-namespace try uses, as `podman --root … --runroot …`. */
const FRESH = [
  "podman",
  "--root",
  "/tmp/podlift-fixture-tree/root",
  "--runroot",
  "/tmp/podlift-fixture-tree/runroot",
];

/** The CI fixture with a pause process (pid 4242) for the fresh namespace's throwaway runtime dir. */
async function freshNamespaceRoot(): Promise<string> {
  const root = scratchCopy(CI);
  const { mkdirSync, writeFileSync } = await import("node:fs");
  mkdirSync(path.join(root, "tmp/podlift-fixture-tree/xdg/libpod/tmp"), { recursive: true });
  writeFileSync(path.join(root, "tmp/podlift-fixture-tree/xdg/libpod/tmp/pause.pid"), "4242\n");
  return root;
}

/** `podman info` of alice on a single-id mapping, with this runtime. */
const singleIdInfo = (runtime: string, size = 1) =>
  JSON.stringify({
    host: {
      ociRuntime: { name: runtime },
      idMappings: { uidmap: [{ container_id: 0, host_id: 1000, size }] },
    },
    store: { graphDriverName: "overlay" },
  });

describe("canary remedies on the CI machine's fixture", () => {
  it("proves the tun mode by root starting the same container through the same helper", async () => {
    const r = await canaryOn(CI);
    expect(r.codes).toEqual(["canary.failed", "canary.ok", "canary.network-failed", "canary.storage-vfs"]);
    const net = r.find("canary.network-failed");
    expect(net.evidence).toMatchObject({
      mode: "rootless (alice)",
      cause: "tun-device",
      proven: ["tun-device-mode"],
      tried: [
        expect.stringMatching(
          /^Started by root, who may open \/dev\/net\/tun \(mode 0600\), with --network slirp4netns: starts/,
        ),
      ],
    });
    expect(net.message).toContain(
      "podlift fix --only tun-device-mode makes /dev/net/tun usable by every user",
    );
    // The try ran as root (no user), with the host's limits: root here may not raise them either.
    const tryCall = unnamedCalls(r.host).find((c) => c.argv.includes("slirp4netns"));
    expect(tryCall).toEqual({
      argv: [
        "podman",
        "run",
        "--rm",
        "--network",
        "slirp4netns",
        "--ulimit",
        "nofile=20000:20000",
        "--ulimit",
        "nproc=32768:32768",
        "--rootfs",
        "/tmp/podlift-fixture-tree",
        "/usr/bin/true",
      ],
      user: undefined,
    });
  });

  it("with crun installed: chains the remedies of one cause after another, and fix plans them all", async () => {
    const HYBRID =
      "Error: OCI runtime error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2\n";
    const ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"];
    const crunInfo = JSON.stringify({
      host: { ociRuntime: { name: "crun" } },
      store: { graphDriverName: "overlay" },
    });
    const spec: FixtureSpec = {
      commands: [
        { argv: ["podman", "info", "--format", "json"], stdout: crunInfo },
        // alice: crun fails on the hybrid layout; runc starts the plain run, and the network run
        // then stops on the device, which root gets through.
        {
          argv: ["podman", "run", "--rm", "--network", "none", "--runtime", "runc"],
          prefix: true,
          user: "alice",
        },
        {
          argv: ["podman", "run", "--rm", "--network", "none"],
          prefix: true,
          user: "alice",
          exitCode: 126,
          stderr: HYBRID,
        },
        {
          argv: ["podman", "run", "--rm", "--runtime", "runc", "--name"],
          prefix: true,
          user: "alice",
          exitCode: 126,
          stderr: 'Error: /usr/bin/slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied\\n"\n',
        },
        {
          argv: ["podman", "run", "--rm", "--name"],
          prefix: true,
          user: "alice",
          exitCode: 126,
          stderr: HYBRID,
        },
        {
          argv: ["podman", "run", "--rm", "--runtime", "runc", "--network", "slirp4netns", ...ULIMITS],
          prefix: true,
        },
        // root: crun refuses the limits first, then the layout; both remedies together start it.
        {
          argv: ["podman", "run", "--rm", "--network", "none", ...ULIMITS, "--runtime", "runc"],
          prefix: true,
        },
        { argv: ["podman", "run", "--rm", ...ULIMITS, "--runtime", "runc"], prefix: true },
        {
          argv: ["podman", "run", "--rm", "--network", "none", ...ULIMITS],
          prefix: true,
          exitCode: 126,
          stderr: HYBRID,
        },
        {
          argv: ["podman", "run"],
          prefix: true,
          exitCode: 126,
          stderr: "Error: crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied\n",
        },
      ],
    };
    const r = await canaryOn(CI, spec);
    expect(r.codes).toEqual(["canary.failed", "canary.failed", "canary.network-failed"]);
    const [rootful, rootless] = r.findings.filter((f) => f.code === "canary.failed");
    expect(rootful?.evidence).toMatchObject({
      cause: "rlimit",
      proven: ["container-ulimits", "container-runtime"],
      tried: [
        expect.stringMatching(
          /^--ulimit nofile=20000:20000 --ulimit nproc=32768:32768: fails: .*hybrid mode/,
        ),
        expect.stringMatching(/^then --ulimit .* --runtime runc: starts/),
        expect.stringMatching(/^then --ulimit .* --cgroups disabled: fails/),
      ],
    });
    expect(rootful?.message).toContain(
      "podlift fix --only container-ulimits,container-runtime makes that the default",
    );
    expect(rootless?.evidence).toMatchObject({ cause: "crun-hybrid", proven: ["container-runtime"] });
    const net = r.find("canary.network-failed");
    expect(net.message).toContain(
      "with the default network (with --runtime runc, which made it start without one)",
    );
    expect(net.evidence).toMatchObject({
      cause: "tun-device",
      proven: ["container-runtime", "tun-device-mode"],
    });
    const { planned } = await planOn(scratchCopy(CI), { user: "alice", spec });
    const safe = planned.plans.filter((p) => p.risk === "safe").map((p) => p.fixId);
    expect(safe).toEqual(
      expect.arrayContaining(["container-ulimits", "container-runtime", "tun-device-mode"]),
    );
  });

  it("tries overlay in a throwaway store for a rootless store on vfs, global flags before run", async () => {
    const r = await canaryOn(CI);
    const vfs = r.find("canary.storage-vfs");
    expect(vfs.status).toBe("warn");
    expect(vfs.evidence).toMatchObject({
      driver: "vfs",
      proven: ["storage-overlay"],
      tried: [expect.stringMatching(/^With the overlay driver \(a throwaway store\): starts/)],
    });
    const tryCall = unnamedCalls(r.host).find((c) => c.argv[1] === "--root");
    expect(tryCall).toEqual({
      argv: [
        "podman",
        "--root",
        "/tmp/podlift-fixture-tree/root",
        "--runroot",
        "/tmp/podlift-fixture-tree/runroot",
        "--storage-driver",
        "overlay",
        "run",
        "--rm",
        "--network",
        "none",
        "--rootfs",
        "/tmp/podlift-fixture-tree:O",
        "/usr/bin/true",
      ],
      user: "alice",
    });
  });

  it("falls back to fuse-overlayfs when native overlay fails, and proves nothing when neither starts", async () => {
    const fuseOnly = await canaryOn(CI, {
      commands: [
        {
          argv: ["podman", "--root", "/tmp/podlift-fixture-tree/root"],
          prefix: true,
          user: "alice",
          exitCode: 125,
          stderr:
            "Error: kernel does not support overlay fs: overlay: the backing xfs filesystem is formatted without d_type support\n",
        },
      ],
    });
    // Every throwaway-store run fails here (the fuse try shares the failing prefix): nothing proven.
    expect(fuseOnly.find("canary.storage-vfs").evidence?.proven).toEqual([]);
    expect(fuseOnly.find("canary.storage-vfs").evidence?.tried).toEqual([
      expect.stringContaining(
        "With the overlay driver (a throwaway store): fails: Error: kernel does not support overlay",
      ),
      expect.stringContaining("through /usr/bin/fuse-overlayfs (a throwaway store): fails"),
    ]);
    // Only the run through the mount program starts: fuse-overlayfs goes into storage.conf.
    const fuseWorks = await canaryOn(CI, {
      commands: [
        {
          argv: [
            "podman",
            "--root",
            "/tmp/podlift-fixture-tree/root",
            "--runroot",
            "/tmp/podlift-fixture-tree/runroot",
            "--storage-driver",
            "overlay",
            "--storage-opt",
          ],
          prefix: true,
          user: "alice",
          exitCode: 0,
        },
        {
          argv: ["podman", "--root", "/tmp/podlift-fixture-tree/root"],
          prefix: true,
          user: "alice",
          exitCode: 125,
          stderr: "Error: kernel does not support overlay fs\n",
        },
      ],
    });
    const vfs = fuseWorks.find("canary.storage-vfs");
    expect(vfs.evidence?.proven).toEqual(["storage-overlay"]);
    const plan = await storageFix.plan({ host: fuseWorks.host, facts: fuseWorks.facts }, [vfs]);
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.changes[0]).toMatchObject({
      kind: "write-file",
      path: "/home/alice/.config/containers/storage.conf",
      owner: { uid: 1000, gid: 1000 },
      needsRoot: false,
      after: expect.stringContaining(
        '[storage]\ndriver = "overlay"\n\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n',
      ),
    });
  });

  it("offers the other network helper only as a diagnosis before Podman 4.4", async () => {
    const missing =
      'Error: could not find slirp4netns, the network namespace can\'t be configured: exec: "slirp4netns": executable file not found in $PATH\n';
    const pasta = scratchCopy(CI);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(path.join(pasta, "usr/bin/pasta"), "");
    const spec = (version: string): FixtureSpec => ({
      commands: [
        { argv: ["podman", "--version"], stdout: `podman version ${version}\n` },
        { argv: ["podman", "run", "--rm", "--network", "pasta"], prefix: true, user: "alice", exitCode: 0 },
        {
          argv: ["podman", "run", "--rm", "--name"],
          prefix: true,
          user: "alice",
          exitCode: 127,
          stderr: missing,
        },
      ],
    });
    const old = await canaryOn(pasta, spec("4.3.1"));
    const f43 = old.find("canary.network-failed");
    expect(f43.evidence).toMatchObject({ cause: "network-helper", proven: [] });
    expect(f43.message).toContain("With --network pasta it starts");
    expect(f43.message).toContain("default_rootless_network_cmd needs 4.4");
    expect(await networkCmdFix.plan({ host: old.host, facts: old.facts }, [f43])).toMatch(/did not start/);
    const recent = await canaryOn(pasta, spec("4.9.3"));
    const f49 = recent.find("canary.network-failed");
    expect(f49.evidence?.proven).toEqual(["rootless-network-cmd"]);
    const plan = await networkCmdFix.plan({ host: recent.host, facts: recent.facts }, [f49]);
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.changes[0]).toMatchObject({
      path: "/etc/containers/containers.conf.d/90-podlift-network-cmd.conf",
      after: expect.stringContaining('[network]\ndefault_rootless_network_cmd = "pasta"\n'),
    });
  });
});

describe("classify on the CI machine's output", () => {
  it("reads Podman's Error: line before a logged error about missing subordinate ids", () => {
    // A new user's first rootless run logs the missing ranges and goes on with a single-id
    // mapping; the network run then stops on the device (this machine's output, trimmed).
    const stderr =
      'time="2026-11-23T21:51:51Z" level=error msg="cannot find UID/GID for user podlift-t-canary: no subuid ranges found for user \\"podlift-t-canary\\" in /etc/subuid - check rootless mode in man pages."\n' +
      'time="2026-11-23T21:51:51Z" level=warning msg="Using rootless single mapping into the namespace. This might break some images. Check /etc/subuid and /etc/subgid for adding sub*ids if not using a network user"\n' +
      'Error: /usr/bin/slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied\\nchild failed(1)\\n"\n';
    expect(classify(stderr).code).toBe("tun-device");
    // Without an Error: line naming a known cause, the whole text still counts.
    expect(classify(stderr.split("\n").slice(0, 2).join("\n")).code).toBe("subid-missing");
  });
});

describe("tun-device-mode", () => {
  it("chmod 0666 now (undo: the old mode) and a udev rule, safe, verified by canary and rootless-network", async () => {
    const { plan, planned } = await planOn(scratchCopy(CI), { user: "alice" });
    const p = plan("tun-device-mode");
    expect(p.risk).toBe("safe");
    expect(p.verify).toEqual(["canary", "rootless-network"]);
    expect(p.changes).toEqual([
      expect.objectContaining({
        kind: "command",
        argv: ["chmod", "0666", "/dev/net/tun"],
        undo: ["chmod", "0600", "/dev/net/tun"],
        needsRoot: true,
      }),
      expect.objectContaining({
        kind: "write-file",
        path: "/etc/udev/rules.d/90-podlift-tun.rules",
        before: null,
        after: expect.stringContaining('KERNEL=="tun", MODE="0666"\n'),
      }),
    ]);
    // The same run proves the rootful ulimits; the rootless store's overlay is risky (a reset).
    expect(planned.plans.map((x) => x.fixId)).toEqual(
      expect.arrayContaining(["container-ulimits", "tun-device-mode", "storage-overlay"]),
    );
    expect(planned.plans.find((x) => x.fixId === "storage-overlay")?.risk).toBe("confirm");
  });

  it("is not offered without the canary's proof, and never for a mode that already lets users in", async () => {
    const r = await canaryOn(CI, {
      commands: [{ argv: ["podman", "run", "--rm", "--network", "slirp4netns"], prefix: true, exitCode: 1 }],
    });
    const net = r.find("canary.network-failed");
    expect(net.evidence?.proven).toEqual([]);
    expect(await tunFix.plan({ host: r.host, facts: r.facts }, [net])).toMatch(
      /the canary did not show that a container starts with \/dev\/net\/tun usable/,
    );
    const open = new FixtureHost(path.join(import.meta.dirname, "../fixtures/hosts", CI), {
      stat: { "/dev/net/tun": { type: "char", mode: 0o666 } },
    });
    const proven: Finding = { ...net, evidence: { ...net.evidence, proven: ["tun-device-mode"] } };
    expect(await tunFix.plan({ host: open, facts: r.facts }, [proven])).toMatch(/already mode 0666/);
  });

  it("offers no fix for a missing node, which nothing can prove, and says what to run", async () => {
    const root = scratchCopy(CI);
    const { readFileSync, rmSync, writeFileSync } = await import("node:fs");
    rmSync(path.join(root, "dev/net"), { recursive: true });
    const specFile = path.join(root, "podlift-fixture.json");
    const spec = JSON.parse(readFileSync(specFile, "utf8"));
    delete spec.stat["/dev/net/tun"];
    writeFileSync(specFile, JSON.stringify(spec));
    const host = new FixtureHost(root);
    const r = await canaryOn(root);
    const net = r.find("canary.network-failed");
    // Nothing to start through: no try is made for a device that does not exist.
    expect(net.evidence?.tried).toBeUndefined();
    expect(await tunFix.plan({ host, facts: r.facts }, [net])).toMatch(
      /missing although the kernel has the device \(10:200\).*offers no fix.*mknod -m 0666 \/dev\/net\/tun c 10 200/,
    );
    rmSync(path.join(root, "sys/class/misc/tun"), { recursive: true });
    expect(await tunFix.plan({ host, facts: r.facts }, [net])).toMatch(/kernel lists no tun device/);
  });
});

describe("storage-overlay", () => {
  it("declines a store that holds anything, naming what a reset would delete", async () => {
    const r = await canaryOn(CI, {
      commands: [
        { argv: ["podman", "images", "--all", "--quiet"], user: "alice", stdout: "a1\nb2\n" },
        { argv: ["podman", "volume", "ls", "--quiet"], user: "alice", stdout: "data\n" },
      ],
    });
    expect(await storageFix.plan({ host: r.host, facts: r.facts }, [r.find("canary.storage-vfs")])).toBe(
      "alice's store holds 2 image(s), 0 container(s), 1 volume(s) and 0 pod(s): switching the driver needs `podman system reset`, which deletes them. Save what you need (podman save, podman volume export), run `podman system reset` as alice, then this fix again",
    );
  });

  it("an empty store: storage.conf, then the reset; the canary does not verify it here, so it is rolled back", async () => {
    const root = scratchCopy(CI);
    const { plan, apply, host } = await planOn(root, { user: "alice", only: ["storage-overlay"] });
    const p = plan("storage-overlay");
    expect(p.summary).toContain("the store is empty, so `podman system reset` deletes nothing");
    expect(p.changes[1]).toMatchObject({
      kind: "command",
      argv: ["podman", "system", "reset", "--force"],
      user: "alice",
    });
    // The fixture's podman info still says vfs after the fix: the canary's warning stays.
    const result = await apply(["storage-overlay"]);
    expect(result.outcomes[0]).toMatchObject({
      fixId: "storage-overlay",
      status: "rolled-back",
      verified: false,
    });
    expect(result.outcomes[0]?.remaining?.[0]).toMatch(/^canary.storage-vfs/);
    expect(existsSync(path.join(root, "home/alice/.config/containers/storage.conf"))).toBe(false);
    expect(existsSync(path.join(root, "home/alice/.config"))).toBe(false);
    expect(await undoRun(host, undefined, false)).toMatchObject({ runId: null });
  });
});

describe("podman-system-migrate and podman-system-reset", () => {
  const stale = (cause: string, mode = "rootless (alice)"): Finding => ({
    code: "canary.failed",
    status: "fail",
    message: "",
    evidence: { mode, cause, error: "Error: cannot find UID/GID for user alice" },
  });

  it("migrate: for a stale mapping while the user has ranges, naming what Podman maps now", async () => {
    const r = await canaryOn(CI, {
      commands: [
        {
          argv: ["podman", "unshare", "cat", "/proc/self/uid_map"],
          user: "alice",
          stdout: "         0       1000          1\n",
        },
      ],
    });
    const plan = await migrateFix.plan({ host: r.host, facts: r.facts }, [stale("subid-missing")]);
    if (typeof plan === "string") throw new Error(plan);
    expect(migrateFix.risk).toBe("safe");
    expect(plan.summary).toContain(
      "Podman maps 1 id range(s) for alice while /etc/subuid gives 100000+65536",
    );
    expect(plan.changes).toEqual([
      expect.objectContaining({ kind: "command", argv: ["podman", "system", "migrate"], user: "alice" }),
    ]);
    // The rootful rlimit failure is not its business: verification does not wait for it.
    expect(migrateFix.concerns?.(stale("rlimit", "rootful"))).toBe(false);
    expect(await migrateFix.plan({ host: r.host, facts: r.facts }, [stale("rlimit", "rootful")])).toMatch(
      /did not fail on id mappings/,
    );
  });

  it("both planned from a real canary run that fails on the mapping; only migrate is safe", async () => {
    const { plan, planned } = await planOn(scratchCopy(CI), {
      user: "alice",
      spec: {
        commands: [
          {
            argv: ["podman", "run", "--rm", "--network", "none", "--name"],
            prefix: true,
            user: "alice",
            exitCode: 125,
            stderr:
              'Error: cannot find UID/GID for user alice: no subuid ranges found for user "alice" in /etc/subuid\n',
          },
          { argv: ["podman", "unshare", "cat", "/proc/self/uid_map"], user: "alice", stdout: "0 1000 1\n" },
        ],
      },
    });
    expect(plan("podman-system-migrate")).toMatchObject({ risk: "safe", verify: ["canary"] });
    expect(plan("podman-system-reset")).toMatchObject({ risk: "confirm", verify: ["canary"] });
    // No overlay is tried for a store whose container does not start at all.
    expect(planned.plans.map((p) => p.fixId)).not.toContain("storage-overlay");
  });

  it("stale mapping: a fresh namespace maps the ranges and starts, proving migrate; its pause process ends", async () => {
    const root = await freshNamespaceRoot();
    const info = (size: number) => singleIdInfo("runc", size);
    const fresh = FRESH;
    const spec = (maps: string): FixtureSpec => ({
      commands: [
        { argv: ["podman", "info", "--format", "json"], user: "alice", stdout: info(1) },
        { argv: [...fresh, "unshare", "cat", "/proc/self/uid_map"], user: "alice", stdout: maps },
        { argv: ["kill", "4242"], user: "alice" },
      ],
    });
    const r = await canaryOn(
      root,
      spec("         0       1000          1\n         1     100000      65536\n"),
    );
    const stale = r.find("canary.stale-mapping");
    expect(stale.status).toBe("warn");
    expect(stale.evidence).toMatchObject({
      mappedNow: 1,
      subuid: "100000+65536",
      proven: ["podman-system-migrate"],
      tried: [expect.stringMatching(/^In a fresh user namespace .*: starts \(\d+ ms\), mapping 65537 ids$/)],
    });
    expect(unnamedCalls(r.host)).toContainEqual({
      argv: [
        ...fresh,
        "run",
        "--rm",
        "--network",
        "none",
        "--rootfs",
        "/tmp/podlift-fixture-tree",
        "/usr/bin/true",
      ],
      user: "alice",
    });
    expect(unnamedCalls(r.host)).toContainEqual({ argv: ["kill", "4242"], user: "alice" });
    const plan = await migrateFix.plan({ host: r.host, facts: r.facts }, [stale]);
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.summary).toContain("it maps only alice's own id while /etc/subuid gives 100000+65536");
    // A fresh namespace that still maps one id proves nothing.
    const same = await canaryOn(root, spec("         0       1000          1\n"));
    expect(same.find("canary.stale-mapping").evidence?.proven).toEqual([]);
    expect(
      await migrateFix.plan({ host: same.host, facts: same.facts }, [same.find("canary.stale-mapping")]),
    ).toMatch(/did not start a container with more ids mapped/);
  });

  it("stale mapping with crun on hybrid cgroups: the fresh namespace is tried with --runtime runc, and still proves migrate", async () => {
    const root = await freshNamespaceRoot();
    const HYBRID =
      "Error: OCI runtime error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2\n";
    const info = singleIdInfo("crun");
    const fresh = FRESH;
    const r = await canaryOn(root, {
      commands: [
        { argv: ["podman", "info", "--format", "json"], user: "alice", stdout: info },
        { argv: ["runc", "--version"], stdout: "runc version 1.1.5\n" },
        {
          argv: [...fresh, "run", "--rm", "--network", "none", "--runtime", "runc"],
          prefix: true,
          user: "alice",
        },
        {
          argv: [...fresh, "unshare", "cat", "/proc/self/uid_map"],
          user: "alice",
          stdout: "         0       1000          1\n         1     100000      65536\n",
        },
        { argv: ["kill", "4242"], user: "alice" },
        {
          argv: ["podman", "run", "--rm", "--network", "none", "--runtime", "runc"],
          prefix: true,
          user: "alice",
        },
        { argv: ["podman", "run", "--rm", "--runtime", "runc"], prefix: true, user: "alice" },
        { argv: ["podman", "run"], prefix: true, user: "alice", exitCode: 126, stderr: HYBRID },
      ],
    });
    const stale = r.find("canary.stale-mapping");
    expect(stale.evidence).toMatchObject({
      proven: ["container-runtime", "podman-system-migrate"],
      tried: [
        expect.stringMatching(
          /^In a fresh user namespace .*--runtime runc: starts \(\d+ ms\), mapping 65537 ids$/,
        ),
      ],
    });
  });

  it("migrate: points at subid-ranges when the user has no ranges", async () => {
    const root = scratchCopy(CI);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(path.join(root, "etc/subuid"), "");
    const r = await canaryOn(root);
    expect(await migrateFix.plan({ host: r.host, facts: r.facts }, [stale("idmap")])).toBe(
      "alice has no subordinate uids to map: podlift fix --only subid-ranges adds them (and migrates)",
    );
  });

  it("reset: risky, and its plan counts what it deletes before anyone is asked", async () => {
    const r = await canaryOn(CI, {
      commands: [
        // c3 carries two tags: one image.
        { argv: ["podman", "images", "--all", "--quiet"], user: "alice", stdout: "a1\nb2\nc3\nc3\n" },
        { argv: ["podman", "ps", "--all", "--quiet"], user: "alice", stdout: "c1\n" },
      ],
    });
    expect(resetFix.risk).toBe("confirm");
    const plan = await resetFix.plan({ host: r.host, facts: r.facts }, [stale("storage-mismatch")]);
    if (typeof plan === "string") throw new Error(plan);
    expect(plan.summary).toBe(
      "alice's Podman store is deleted and made afresh: this DELETES 3 image(s), 1 container(s), 0 volume(s) and 0 pod(s).",
    );
    expect(plan.changes).toEqual([
      expect.objectContaining({ argv: ["podman", "system", "reset", "--force"], user: "alice" }),
    ]);
    expect(plan.notes[0]).toContain("There is no undo");
    const failing = await canaryOn(CI, {
      commands: [
        {
          argv: ["podman", "volume", "ls", "--quiet"],
          user: "alice",
          exitCode: 125,
          stderr: "Error: boom\n",
        },
      ],
    });
    expect(
      await resetFix.plan({ host: failing.host, facts: failing.facts }, [stale("storage-mismatch")]),
    ).toBe("cannot tell what a reset would delete: `podman volume ls --quiet` failed: Error: boom");
  });
});
