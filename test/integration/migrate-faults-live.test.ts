// Issue 12: podlift migrate volumes tried as a hostile user would, against a real dockerd (own
// socket and data root) and real Podman. Every name here starts with pl12v- and is removed after.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, liveUnavailable, removeUser, type Service, startDockerd } from "./live.js";
import { buildVolume } from "./volume-content.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const skip = liveUnavailable(["podman", "dockerd"]);
const USER = "pl12v-user";

let dockerd: Service;
const dockerOn = (socket: string, ...args: string[]) =>
  execFileSync("docker", ["-H", `unix://${socket}`, ...args])
    .toString()
    .trim();
const docker = (...args: string[]) => dockerOn(dockerd.socket, ...args);
const podman = (args: string[], user?: string) =>
  execFileSync(user ? "runuser" : "podman", user ? ["-u", user, "--", "podman", ...args] : args, {
    cwd: "/",
    env: user ? { ...process.env, HOME: `/home/${user}`, XDG_RUNTIME_DIR: "" } : process.env,
  })
    .toString()
    .trim();
const podmanOk = (args: string[], user?: string) => {
  try {
    podman(args, user);
    return true;
  } catch {
    return false;
  }
};
const mountpoint = (name: string, user?: string) =>
  podman(["volume", "inspect", "--format", "{{.Mountpoint}}", name], user);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: {
    volumes: Record<string, unknown>[];
    notMigrated?: { source: string; problem: string }[];
  } | null;
}

function migrate(args: string[], socket = dockerd.socket, env: NodeJS.ProcessEnv = process.env) {
  return new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      [BIN, "migrate", "volumes", "--docker-host", `unix://${socket}`, "--yes", "--format", "json", ...args],
      { timeout: 300000, maxBuffer: 64 * 1024 * 1024, env },
      (error, stdout, stderr) => {
        let json = null;
        try {
          json = JSON.parse(stdout);
        } catch {
          // left null
        }
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr, json });
      },
    );
  });
}

/** Starts a migration in the background; returns once its staging volume exists. */
async function inBackground(
  volume: string,
  extra: string[] = [],
  socket = dockerd.socket,
  env = process.env,
) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "migrate",
      "volumes",
      volume,
      "--docker-host",
      `unix://${socket}`,
      ...extra,
      "--yes",
      "--format",
      "json",
    ],
    { env },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) =>
    child.on("exit", (code, signal) => r(code ?? (signal ? -1 : null))),
  );
  const staging = `${extra.includes("--map") ? (extra[extra.indexOf("--map") + 1] ?? "").split("=")[1] : volume}.podlift-partial`;
  for (let i = 0; i < 200 && !podmanOk(["volume", "exists", staging]); i++) await sleep(100);
  return { child, exited, output: () => out, errors: () => err };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid of the target-side tar extracting into a staging volume, once it runs. */
async function targetTar(staging: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    try {
      const pids = execFileSync("pgrep", ["-f", `^tar -C \\S*/${staging}/_data .*-xf -$`])
        .toString()
        .trim()
        .split("\n");
      if (pids[0]) return Number(pids[0]);
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error(`no tar extracting into ${staging}`);
}

function newVolume(name: string, build?: (dir: string) => void, socket = dockerd.socket): string {
  dockerOn(socket, "volume", "create", name);
  const dir = dockerOn(socket, "volume", "inspect", "--format", "{{.Mountpoint}}", name);
  build?.(dir);
  return dir;
}

function bigFile(dir: string, mib: number) {
  const block = Buffer.alloc(1024 * 1024, 3);
  writeFileSync(path.join(dir, "big.bin"), Buffer.alloc(0));
  for (let i = 0; i < mib; i++) writeFileSync(path.join(dir, "big.bin"), block, { flag: "a" });
}

/** A sleep image made of host files, nothing pulled. */
function sleepImage() {
  const root = execFileSync("mktemp", ["-d"]).toString().trim();
  for (const f of ["/usr/bin/sleep", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]) {
    mkdirSync(path.dirname(`${root}${f}`), { recursive: true });
    execFileSync("cp", [f, `${root}${f}`]);
  }
  execFileSync("tar", ["-C", root, "-cf", `${root}.tar`, "."]);
  docker("import", `${root}.tar`, "pl12v/sleep:1");
  execFileSync("rm", ["-rf", root, `${root}.tar`]);
}

const ROOTFUL = [
  "pl12v-kill",
  "pl12v-stall",
  "pl12v-a",
  "pl12v-b",
  "pl12v-x",
  "pl12v-late",
  "pl12v-again",
  "pl12v-long",
  "pl12v-term",
  "pl12v-hup",
  "pl12v-sock",
  "pl12v-opts",
  "pl12v-api",
  ...Array.from({ length: 10 }, (_, i) => `pl12v-small-${i}`),
];
const cleanup = (names: string[], user?: string) => {
  for (const n of names) {
    podmanOk(["volume", "rm", "-f", n], user);
    podmanOk(["volume", "rm", "-f", `${n}.podlift-partial`], user);
  }
};

describe.skipIf(skip !== null)(
  "issue 12: migrate volumes under hostile conditions (real dockerd and Podman)",
  () => {
    beforeAll(async () => {
      cleanup(ROOTFUL);
      dockerd = await startDockerd();
      createUser(USER);
    }, 120000);
    afterAll(async () => {
      cleanup(ROOTFUL);
      removeUser(USER);
      await dockerd?.stop();
    });

    it("the target's tar killed with SIGKILL mid-copy: that volume fails at once, nothing is left behind", async () => {
      newVolume("pl12v-kill", (d) => bigFile(d, 1536));
      for (const verify of [[], ["--no-verify"]]) {
        const run = await inBackground("pl12v-kill", verify);
        process.kill(await targetTar("pl12v-kill.podlift-partial"), "SIGKILL");
        const started = Date.now();
        expect(await run.exited).toBe(1);
        expect(Date.now() - started).toBeLessThan(20000);
        expect(JSON.parse(run.output()).volumes[0]).toMatchObject({
          status: "failed",
          error: expect.stringContaining("tar in the target was killed (SIGKILL"),
        });
        expect(podmanOk(["volume", "exists", "pl12v-kill.podlift-partial"])).toBe(false);
        expect(podmanOk(["volume", "exists", "pl12v-kill"])).toBe(false);
      }
    }, 300000);

    it("a stalled end (the target's tar stopped) is detected and the run ends with that volume failed", async () => {
      newVolume("pl12v-stall", (d) => bigFile(d, 1536));
      const run = await inBackground("pl12v-stall", ["--no-verify"], dockerd.socket, {
        ...process.env,
        PODLIFT_STALL_MS: "1500",
      });
      const pid = await targetTar("pl12v-stall.podlift-partial");
      process.kill(pid, "SIGSTOP");
      expect(await run.exited).toBe(1);
      expect(JSON.parse(run.output()).volumes[0]).toMatchObject({
        status: "failed",
        error: expect.stringContaining("the copy stalled: no data moved for 2 s"),
      });
      expect(podmanOk(["volume", "exists", "pl12v-stall.podlift-partial"])).toBe(false);
    }, 300000);

    it("two volumes mapped to one target is a usage error before anything starts", async () => {
      newVolume("pl12v-a", (d) => writeFileSync(`${d}/a`, "a\n"));
      newVolume("pl12v-b", (d) => writeFileSync(`${d}/b`, "b\n"));
      const r = await migrate(["pl12v-a", "pl12v-b", "--map", "pl12v-a=pl12v-x", "--map", "pl12v-b=pl12v-x"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('would both become the Podman volume "pl12v-x"');
      // An unmapped volume whose name another one is mapped to collides the same way.
      const r2 = await migrate(["pl12v-a", "pl12v-b", "--map", "pl12v-a=pl12v-b"]);
      expect(r2.code).toBe(2);
      expect(podmanOk(["volume", "exists", "pl12v-x"])).toBe(false);
      expect(podmanOk(["volume", "exists", "pl12v-x.podlift-partial"])).toBe(false);
    }, 120000);

    it("a container that starts using the volume mid-copy fails that volume instead of a stale 'verified'", async () => {
      sleepImage();
      newVolume("pl12v-late", (d) => bigFile(d, 1536));
      const run = await inBackground("pl12v-late");
      docker(
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "pl12v-writer",
        "-v",
        "pl12v-late:/data",
        "pl12v/sleep:1",
        "/usr/bin/sleep",
        "1000",
      );
      try {
        expect(await run.exited).toBe(1);
        expect(JSON.parse(run.output()).volumes[0]).toMatchObject({
          status: "failed",
          verified: false,
          error: expect.stringContaining("pl12v-writer started using pl12v-late during the copy"),
        });
        expect(podmanOk(["volume", "exists", "pl12v-late"])).toBe(false);
      } finally {
        docker("rm", "-f", "pl12v-writer");
      }
    }, 300000);

    it("already-migrated means unchanged since: a changed source is not skipped, and replace replaces", async () => {
      const src = newVolume("pl12v-again", (d) => writeFileSync(`${d}/v1`, "one\n"));
      expect((await migrate(["pl12v-again"])).json?.volumes[0]).toMatchObject({ status: "migrated" });
      expect((await migrate(["pl12v-again"])).json?.volumes[0]).toMatchObject({ status: "already-migrated" });
      writeFileSync(`${src}/v2`, "two\n");
      const plain = await migrate(["pl12v-again"]);
      expect(plain.code).toBe(1);
      expect(plain.json?.volumes[0]).toMatchObject({
        status: "failed",
        error: expect.stringContaining("the source changed since"),
      });
      const replaced = await migrate(["pl12v-again", "--on-conflict", "replace"]);
      expect(replaced.json?.volumes[0]).toMatchObject({ status: "migrated", verified: true });
      expect(readFileSync(`${mountpoint("pl12v-again")}/v2`, "utf8")).toBe("two\n");
      // replace means replace, even when nothing changed.
      const again = await migrate(["pl12v-again", "--on-conflict", "replace"]);
      expect(again.json?.volumes[0]).toMatchObject({ status: "migrated", verified: true });
      // Same size, mtime put back (as touch -r or rsync -t would): the change time still moved.
      const ref = path.join(mkdtempSync(path.join(os.tmpdir(), "pl12v-ref-")), "ref");
      writeFileSync(ref, "");
      execFileSync("touch", ["-r", `${src}/v1`, ref]); // to the nanosecond
      writeFileSync(`${src}/v1`, "ONE\n");
      execFileSync("touch", ["-r", ref, `${src}/v1`]);
      expect(statSync(`${src}/v1`, { bigint: true }).mtimeNs).toBe(statSync(ref, { bigint: true }).mtimeNs);
      const faked = await migrate(["pl12v-again"]);
      expect(faked.json?.volumes[0]).toMatchObject({
        status: "failed",
        error: expect.stringContaining("the source changed since"),
      });
    }, 120000);

    it("paths over 4095 bytes are found by the preflight walk, named, and --dry-run exits 1", async () => {
      newVolume("pl12v-long", (d) => {
        // Built through directory fds: no single path passed to the kernel is that long.
        const script = [
          "import os, sys",
          "fd = os.open(sys.argv[1], os.O_RDONLY)",
          "for _ in range(20):",
          "    os.mkdir('d' * 200, dir_fd=fd)",
          "    fd = os.open('d' * 200, os.O_RDONLY, dir_fd=fd)",
          "os.close(os.open('f' * 250, os.O_CREAT | os.O_WRONLY, dir_fd=fd))",
        ].join("\n");
        execFileSync("python3", ["-c", script, d]);
        writeFileSync(`${d}/short`, "s\n");
      });
      const dry = await migrate(["pl12v-long", "--dry-run"]);
      expect(dry.code).toBe(1);
      const problem = String(dry.json?.volumes[0]?.problem);
      expect(problem).toContain("1 path(s) longer than 4095 bytes");
      expect(problem).toContain(`${"f".repeat(250)}`);
      const r = await migrate(["pl12v-long"]);
      expect(r.code).toBe(1);
      expect(r.json?.notMigrated?.[0]?.problem).toContain("longer than 4095 bytes");
      expect(podmanOk(["volume", "exists", "pl12v-long"])).toBe(false);
      docker("volume", "rm", "pl12v-long"); // the engine removes what rm -r of the test's dockerd cannot
    }, 120000);

    it("rootless preflight: device nodes, trusted.* xattrs, unmappable ACL entries and far-out owners, every file named", async () => {
      newVolume("pl12v-rootless-bad", (d) => {
        execFileSync("mknod", [`${d}/null-dev`, "c", "1", "3"]);
        writeFileSync(`${d}/trusted-file`, "t\n");
        execFileSync("setfattr", ["-n", "trusted.podlift", "-v", "x", `${d}/trusted-file`]);
        writeFileSync(`${d}/acl-file`, "a\n");
        // POSIX ACL xattr: user::rw-, user:900000:r--, group::r--, mask::r--, other::r--
        const acl =
          "0x0200000001000600ffffffff02000400a0bb0d0004000400ffffffff10000400ffffffff20000400ffffffff";
        execFileSync("setfattr", ["-n", "system.posix_acl_access", "-v", acl, `${d}/acl-file`]);
        for (let i = 0; i < 12; i++) {
          writeFileSync(`${d}/far-${i}`, "f\n");
          execFileSync("chown", ["3000000:3000000", `${d}/far-${i}`]);
        }
      });
      const r = await migrate(["pl12v-rootless-bad", "--user", USER, "--dry-run"]);
      expect(r.code).toBe(1);
      const problem = String(r.json?.volumes[0]?.problem);
      expect(problem).toContain(
        "1 device node(s), which rootless pl12v-user cannot create (mknod needs root): null-dev",
      );
      expect(problem).toContain("trusted-file (trusted.podlift)");
      expect(problem).toContain("acl-file (ACL user 900000)");
      expect(problem).toContain("uid 3000000/gid 3000000 cannot be mapped");
      expect(problem).toMatch(
        /12 file\(s\): far-\d+ \(uid 3000000, gid 3000000\)(, far-\d+ \(uid 3000000, gid 3000000\)){9} \(and 2 more\)/,
      );
      expect(problem).toContain("far outside any range: chown them");
      expect(problem).not.toContain("usermod --add-subuids");
      const real = await migrate(["pl12v-rootless-bad", "--user", USER]);
      expect(real.code).toBe(1);
      expect(podmanOk(["volume", "exists", "pl12v-rootless-bad"], USER)).toBe(false);
    }, 120000);

    it("--via engine-api with the engine killed mid-copy: the rerun removes the helper container and image it left", async () => {
      const second = await startDockerd();
      const dir = path.dirname(second.socket);
      let restarted: ChildProcess | null = null;
      try {
        newVolume("pl12v-api", (d) => bigFile(d, 1024), second.socket);
        const run = await inBackground("pl12v-api", ["--via", "engine-api"], second.socket);
        await targetTar("pl12v-api.podlift-partial");
        process.kill(Number(readFileSync(path.join(dir, "docker.pid"), "utf8")), "SIGKILL");
        expect(await run.exited).toBe(1);
        expect(podmanOk(["volume", "exists", "pl12v-api.podlift-partial"])).toBe(false);
        // The engine comes back on the same data root, with the helper the killed run made.
        for (let attempt = 0; attempt < 20; attempt++) {
          await sleep(1000);
          rmSync(path.join(dir, "docker.pid"), { force: true }); // dockerd refuses to start over a pid file
          const child = spawn(
            "dockerd",
            [
              "--host",
              `unix://${second.socket}`,
              "--data-root",
              path.join(dir, "data"),
              "--exec-root",
              path.join(dir, "exec"),
              "--pidfile",
              path.join(dir, "docker.pid"),
              "--bridge",
              "none",
              "--iptables=false",
              "--ip6tables=false",
            ],
            { stdio: "ignore" },
          );
          restarted = child;
          for (let i = 0; i < 50 && child.exitCode === null; i++) {
            try {
              dockerOn(second.socket, "version");
              break;
            } catch {
              await sleep(200);
            }
          }
          if (child.exitCode === null) break;
        }
        const helpers = () =>
          dockerOn(second.socket, "ps", "-aq", "--filter", "label=io.podlift.helper=true");
        expect(helpers()).not.toBe("");
        const again = await migrate(["pl12v-api", "--via", "engine-api"], second.socket);
        expect(again.code, again.stdout + again.stderr).toBe(0);
        expect(again.json?.volumes[0]).toMatchObject({
          status: "migrated",
          notes: expect.arrayContaining([expect.stringContaining("removed 1 helper container(s)")]),
        });
        expect(helpers()).toBe("");
        expect(dockerOn(second.socket, "images", "-q", "podlift/empty")).toBe("");
        dockerOn(second.socket, "volume", "rm", "pl12v-api"); // no longer "in use"
      } finally {
        const last = restarted as ChildProcess | null;
        if (last && last.exitCode === null) {
          const exited = new Promise((r) => last.once("exit", r));
          last.kill("SIGTERM");
          await exited;
        }
        await second.stop();
        // The killed engine's archive mounts of the helper outlive both engines: swept here.
        const mounts = readFileSync("/proc/self/mountinfo", "utf8")
          .split("\n")
          .map((l) => l.split(" ")[4] ?? "")
          .filter((m) => m.startsWith(dir))
          .sort((a, b) => b.length - a.length);
        for (const m of mounts) execFileSync("umount", ["-l", m]);
        rmSync(dir, { recursive: true, force: true });
        cleanup(["pl12v-api"]);
      }
    }, 300000);

    it.each([
      ["SIGTERM", 143, "pl12v-term"],
      ["SIGHUP", 129, "pl12v-hup"],
    ] as const)(
      "%s mid-copy cleans up as Ctrl-C does (exit %i), and says interrupted",
      async (signal, code, name) => {
        newVolume(name, (d) => bigFile(d, 1024));
        const run = await inBackground(name);
        await targetTar(`${name}.podlift-partial`);
        run.child.kill(signal);
        expect(await run.exited).toBe(code);
        expect(JSON.parse(run.output()).volumes[0]).toMatchObject({ status: "failed", error: "interrupted" });
        expect(podmanOk(["volume", "exists", `${name}.podlift-partial`])).toBe(false);
        expect(podmanOk(["volume", "exists", name])).toBe(false);
      },
      300000,
    );

    it("unix sockets and sparse files are reported per file, not dropped silently", async () => {
      newVolume("pl12v-sock", (d) => {
        buildVolume(d, { largeMiB: 1 });
        execFileSync("python3", [
          "-c",
          "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])",
          `${d}/app.sock`,
        ]);
      });
      const r = await migrate(["pl12v-sock"]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.json?.volumes[0]).toMatchObject({
        status: "migrated",
        verified: true,
        notes: expect.arrayContaining([
          "1 unix socket(s) not copied (tar cannot carry sockets): app.sock",
          "1 sparse file(s) kept their holes: sparse.img",
        ]),
      });
    }, 120000);

    it("replace keeps the replaced volume's driver options, and refuses to drop a mount", async () => {
      newVolume("pl12v-opts", (d) => writeFileSync(`${d}/f`, "f\n"));
      podman(["volume", "create", "--opt", "o=nodev", "pl12v-opts"]);
      const r = await migrate(["pl12v-opts", "--on-conflict", "replace"]);
      expect(r.json?.volumes[0]).toMatchObject({
        status: "migrated",
        notes: expect.arrayContaining(["kept the driver options of the replaced volume: o=nodev"]),
      });
      expect(podman(["volume", "inspect", "--format", "{{json .Options}}", "pl12v-opts"])).toBe(
        '{"o":"nodev"}',
      );
      podman(["volume", "rm", "pl12v-opts"]);
      podman(["volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "pl12v-opts"]);
      const refused = await migrate(["pl12v-opts", "--on-conflict", "replace"]);
      expect(refused.json?.volumes[0]).toMatchObject({
        status: "failed",
        error: expect.stringContaining("replacing it would drop that mount"),
      });
    }, 120000);

    it("ten volumes at --parallel 10 print no MaxListenersExceededWarning", async () => {
      const names = Array.from({ length: 10 }, (_, i) => `pl12v-small-${i}`);
      for (const n of names) newVolume(n, (d) => writeFileSync(`${d}/f`, n));
      const r = await migrate([...names, "--parallel", "10"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain("MaxListenersExceededWarning");
      expect(r.json?.volumes.map((v) => v.status)).toEqual(names.map(() => "migrated"));
    }, 120000);

    it("a volume larger than the free space under the target is refused before copying", async () => {
      const user = "pl12v-full";
      createUser(user);
      const store = `/home/${user}/.local/share/containers`;
      mkdirSync(store, { recursive: true });
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", store]);
      execFileSync("chown", ["-R", `${user}:${user}`, `/home/${user}/.local`]);
      try {
        newVolume("pl12v-toobig", (d) => bigFile(d, 48));
        const r = await migrate(["pl12v-toobig", "--user", user, "--dry-run"]);
        expect(r.code).toBe(1);
        expect(String(r.json?.volumes[0]?.problem)).toMatch(
          /needs 48\.\d MiB but only \d+\.\d MiB is free under \//,
        );
      } finally {
        // The mount first: userdel -r cannot remove a home with a file system mounted in it.
        execFileSync("umount", ["-l", store]);
        removeUser(user);
      }
    }, 120000);
  },
);
