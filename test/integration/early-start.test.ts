// A plain `podlift doctor` starts `podman info` and the canary's first container in the single
// file's head, before the bundle loads (scripts/head-early.cjs,
// src/host/early.ts). The run takes them over: each runs once, keeps its deadline, and none
// outlives podlift, taken over or not; a canary container nothing took is removed.
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createUser, liveUnavailable, removeUser } from "./live.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const skip = liveUnavailable(["podman"]);

/** A `podman` first on PATH that logs each call ("pid args") and then runs `then`. */
function shim(then: string): { dir: string; log: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-early-"));
  const log = path.join(dir, "calls.log");
  // Who started it, too: the head's runs carry PODLIFT_CHILD=<pid>-early-<n>.
  writeFileSync(
    path.join(dir, "podman"),
    `#!/bin/sh\necho "$$ $(id -un) $*" >> ${log}\necho "$$ $PODLIFT_CHILD" >> ${log}.markers\n${then}\n`,
  );
  chmodSync(path.join(dir, "podman"), 0o755);
  chmodSync(dir, 0o755); // a rootless target runs it too
  writeFileSync(log, "");
  chmodSync(log, 0o666);
  writeFileSync(`${log}.markers`, "");
  chmodSync(`${log}.markers`, 0o666);
  return { dir, log };
}

function doctor(args: string[], dir: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    execFile(
      process.execPath,
      [BIN, "doctor", "--format", "json", ...args],
      { env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env }, timeout: 120000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === "number" ? code : null, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

const calls = (log: string) =>
  readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [pid, user] = l.split(" ");
      return { pid: Number(pid), user, args: l.split(" ").slice(2).join(" ") };
    });

/** Running, not a zombie waiting for init to reap it. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** The logged calls still running after up to 3 s (a killed group is reaped by init, not us). */
async function survivors(log: string) {
  for (let i = 0; i < 30; i++) {
    if (!calls(log).some((c) => alive(c.pid))) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return calls(log).filter((c) => alive(c.pid));
}

/** The canary containers (any state) whose rootfs lies under dir: a test's own, by its TMPDIR. */
function canariesUnder(dir: string): string[] {
  const list = ["ps", "-a", "--filter", "label=io.podlift.canary", "--format", "{{.Names}}"];
  const names = execFileSync("podman", list).toString().split("\n").filter(Boolean);
  return names.filter((name) => {
    try {
      const rootfs = execFileSync("podman", ["container", "inspect", name, "--format", "{{.Rootfs}}"]);
      return rootfs.toString().startsWith(dir);
    } catch {
      return false; // removed meanwhile
    }
  });
}

describe.skipIf(skip)("doctor's early podman commands", () => {
  it("runs podman info once, started before the checks load, and reports its answer and version", async () => {
    const { dir, log } = shim('exec /usr/bin/podman "$@"');
    const r = await doctor(["--skip", "canary"], dir);
    const report = JSON.parse(r.stdout);
    const info = calls(log).filter((c) => c.args === "info --format json");
    expect(info).toHaveLength(1);
    // The version is the one podman info gave: no `podman --version` of its own.
    expect(calls(log).filter((c) => c.args === "--version")).toHaveLength(0);
    const version = report.checks.find((c: { id: string }) => c.id === "podman-version");
    expect(version.findings.map((f: { code: string }) => f.code)).toContain("podman.info-ok");
    const installed = execFileSync("podman", ["--version"]).toString().trim().split(" ").at(-1);
    expect(version.findings[0].evidence.version).toBe(installed);
  }, 60000);

  it("holds a hung early podman info to its deadline and leaves no process behind", async () => {
    const { dir, log } = shim("exec sleep 600");
    const r = await doctor(["--skip", "canary", "--timeout", "2000"], dir);
    expect(r.ms).toBeLessThan(30000);
    const report = JSON.parse(r.stdout);
    const version = report.checks.find((c: { id: string }) => c.id === "podman-version");
    expect(version.status).toBe("error");
    expect(calls(log).map((c) => c.args)).toContain("info --format json");
    expect(await survivors(log)).toEqual([]);
  }, 60000);

  it("kills an early podman info that no check takes when podlift exits", async () => {
    const { dir, log } = shim("exec sleep 600");
    // Every check that reads podman info is skipped: the early run is never taken over.
    const skipped = "podman-version,storage,rootless-network,container-dns,canary";
    const r = await doctor(["--skip", skipped, "--timeout", "1500"], dir);
    expect(r.ms).toBeLessThan(30000);
    expect(JSON.parse(r.stdout).checks.length).toBeGreaterThan(5);
    expect(calls(log).map((c) => c.args)).toContain("info --format json");
    expect(await survivors(log)).toEqual([]);
  }, 60000);

  it("for --user: podman info runs once, as that user, and one no check takes dies with podlift", async () => {
    const name = "podlift-t-early";
    createUser(name);
    try {
      const real = shim('exec /usr/bin/podman "$@"');
      await doctor(["--user", name, "--skip", "canary"], real.dir);
      const infos = calls(real.log).filter((c) => c.args === "info --format json");
      expect(infos.map((c) => c.user)).toEqual([name]);
      const hung = shim("exec sleep 600");
      const skipped = "podman-version,storage,rootless-network,container-dns,canary";
      await doctor(["--user", name, "--skip", skipped, "--timeout", "1500"], hung.dir);
      expect(
        calls(hung.log)
          .filter((c) => c.args === "info --format json")
          .map((c) => c.user),
      ).toEqual([name]);
      expect(await survivors(hung.log)).toEqual([]);
    } finally {
      removeUser(name);
    }
  }, 120000);

  it("starts the run's other commands early too (podman ps, compose providers, docker --version): each runs once", async () => {
    // Every command podlift's own process starts, with the marker it gave it (PODLIFT_CHILD).
    const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-early-spawns-"));
    const log = path.join(dir, "spawns.log");
    const preload = path.join(dir, "log-spawns.cjs");
    writeFileSync(
      preload,
      `const cp = require("node:child_process"), fs = require("node:fs");
const spawn = cp.ChildProcess.prototype.spawn;
cp.ChildProcess.prototype.spawn = function (o) {
  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: o.args, marker: (o.envPairs || []).find((e) => e.startsWith("PODLIFT_CHILD=")) }) + "\\n");
  return spawn.call(this, o);
};
`,
    );
    writeFileSync(log, "");
    const r = await doctor(["--skip", "canary"], "/nonexistent", { NODE_OPTIONS: `-r ${preload}` });
    expect(r.code === 0 || r.code === 1).toBe(true);
    const spawns = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { argv: string[]; marker?: string });
    const count = new Map<string, number>();
    for (const s of spawns) count.set(s.argv.join(" "), (count.get(s.argv.join(" ")) ?? 0) + 1);
    // No command of the run started twice: every early one was taken over.
    expect([...count].filter(([, n]) => n > 1)).toEqual([]);
    const early = (argv: string) => spawns.find((s) => s.argv.join(" ") === argv)?.marker ?? "";
    expect(early("podman ps -a --format json")).toMatch(/^PODLIFT_CHILD=\d+-early-\d+$/);
    // Where the first docker on PATH is Docker's CLI, a plain ELF file (this project's machines),
    // the head starts its --version.
    const cli = (process.env.PATH ?? "")
      .split(":")
      .map((d) => path.join(d, "docker"))
      .find((p) => existsSync(p));
    // A plain file (no link, nothing that could block an open), then its first four bytes.
    const magic = (file: string) => {
      const fd = openSync(file, "r");
      try {
        const b = Buffer.alloc(4);
        return b.subarray(0, readSync(fd, b, 0, 4, 0)).toString("latin1");
      } finally {
        closeSync(fd);
      }
    };
    const elf = cli !== undefined && lstatSync(cli).isFile() && magic(cli) === "\x7fELF";
    const docker = spawns.find((s) => s.argv[0] === cli && s.argv[1] === "--version");
    if (elf) expect(docker?.marker).toMatch(/-early-\d+$/);
    const compose = spawns.find((s) => s.argv.join(" ") === "docker compose version");
    if (compose) expect(compose.marker).toMatch(/-early-\d+$/);
  }, 60000);

  it("starts the canary's first container early, and the check takes it over: one run, nothing left", async () => {
    const { dir, log } = shim('exec /usr/bin/podman "$@"');
    const r = await doctor([], dir);
    const report = JSON.parse(r.stdout);
    const canary = report.checks.find((c: { id: string }) => c.id === "canary");
    expect(canary.findings.length).toBeGreaterThan(0);
    // The head's run: named, labelled, the default network, nothing else.
    const first =
      /^run --rm --name (podlift-canary-[0-9a-f]{12}) --label io\.podlift\.canary=true --rootfs (\S+) \/usr\/bin\/true$/;
    const heads = calls(log).filter((c) => first.test(c.args));
    expect(heads).toHaveLength(1);
    const markers = readFileSync(`${log}.markers`, "utf8");
    expect(markers).toMatch(new RegExp(`^${heads[0]?.pid} \\d+-early-\\d+$`, "m"));
    const [, name, tree] = first.exec(heads[0]?.args ?? "") ?? [];
    // The check judged that run's tree (the network run's command where it started, the run
    // without a network where it did not: this machine's root may lack CAP_SYS_RESOURCE), then
    // removed it.
    const commands = canary.findings.map(
      (f: { evidence?: { command?: string } }) => f.evidence?.command ?? "",
    );
    expect(commands.some((c: string) => c.includes(`--rootfs ${tree} /usr/bin/true`))).toBe(true);
    expect(existsSync(tree as string)).toBe(false);
    const left = execFileSync("podman", ["ps", "-a", "--filter", `name=${name}`, "--format", "{{.Names}}"]);
    expect(left.toString().trim()).toBe("");
  }, 60000);

  it("removes the canary's early container and tree when the command ends on a usage error", async () => {
    const { dir, log } = shim('exec /usr/bin/podman "$@"');
    // The head starts the canary before the bundle (and its usage error) loads. Its tree goes to a
    // folder of this test's own, and a container is this test's when its rootfs is there.
    const tmp = mkdtempSync(path.join(os.tmpdir(), "podlift-early-usage-"));
    chmodSync(tmp, 0o755);
    const r = await doctor(["--format", "bogus"], dir, { TMPDIR: tmp });
    expect(r.code).toBe(2);
    expect(readdirSync(tmp)).toEqual([]);
    expect(canariesUnder(tmp)).toEqual([]);
    expect(await survivors(log)).toEqual([]);
  }, 60000);

  it("Ctrl-C or SIGTERM at any moment of a doctor run leaves no canary container and no tree behind", async () => {
    // The trees go to a folder of this test's own (TMPDIR), and a container is this test's when
    // its rootfs is there: other tests may run canaries meanwhile.
    const tmp = mkdtempSync(path.join(os.tmpdir(), "podlift-early-int-"));
    chmodSync(tmp, 0o755);
    const netnsBefore = new Set(readdirSync("/run/netns"));
    const moments = [
      ["SIGINT", 80],
      ["SIGINT", 120],
      ["SIGINT", 180],
      ["SIGINT", 250],
      ["SIGINT", 400],
      ["SIGINT", 550],
      ["SIGTERM", 250],
      ["SIGTERM", 400],
      ["SIGINT", 270],
      ["SIGINT", 300],
    ] as const;
    for (const [signal, ms] of moments) {
      const child = spawn(process.execPath, [BIN, "doctor"], {
        env: { ...process.env, TMPDIR: tmp },
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.on("exit", resolve));
      await new Promise((resolve) => setTimeout(resolve, ms));
      child.kill(signal); // a run that ended already is not there to interrupt
      await exited;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(readdirSync(tmp)).toEqual([]);
    expect(canariesUnder(tmp)).toEqual([]);
    // Nor a network namespace: Podman 4.3 killed in its first ~100 ms of a run leaves the one it
    // made in /run/netns, which `podman rm` does not remove. Other tests' containers may be
    // starting meanwhile: a namespace counts when it is still there 2 s later and no container
    // holds it.
    const fresh = () => readdirSync("/run/netns").filter((n) => !netnsBefore.has(n));
    const first = fresh();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const held = execFileSync("podman", ["ps", "-aq"]).toString().split("\n").filter(Boolean);
    let keys = "";
    try {
      if (held.length)
        keys = execFileSync("podman", [
          "inspect",
          "--format",
          "{{.NetworkSettings.SandboxKey}}",
          ...held,
        ]).toString();
    } catch (error) {
      keys = String((error as { stdout?: Buffer }).stdout ?? ""); // one removed meanwhile
    }
    expect(fresh().filter((n) => first.includes(n) && !keys.includes(n))).toEqual([]);
  }, 90000);

  it("starts nothing early for another root or user: --root runs podman only through chroot", async () => {
    const { dir, log } = shim('exec /usr/bin/podman "$@"');
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-early-root-"));
    await doctor(["--root", root, "--only", "subuid"], dir);
    expect(calls(log)).toEqual([]);
  }, 60000);
});
