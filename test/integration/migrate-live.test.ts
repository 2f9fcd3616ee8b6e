// podlift migrate volumes against a real dockerd (own socket and data root) and real Podman,
// rootful and for a throwaway rootless user; every result is also checked by walking the
// target's folder, independently of tar and of podlift's own manifests.
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  createReadStream,
  mkdirSync,
  openSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, liveUnavailable, removeUser, type Service, startDockerd } from "./live.js";
import { buildVolume, walk } from "./volume-content.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const skip = liveUnavailable(["podman", "dockerd"]);
const USER = "podlift-t-mig";

let dockerd: Service;
const docker = (...args: string[]) =>
  execFileSync("docker", ["-H", `unix://${dockerd.socket}`, ...args])
    .toString()
    .trim();
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

function migrate(args: string[]) {
  return new Promise<{
    code: number;
    stdout: string;
    stderr: string;
    json: { volumes: Record<string, unknown>[]; notMigrated?: unknown[] } | null;
  }>((resolve) => {
    execFile(
      process.execPath,
      [
        BIN,
        "migrate",
        "volumes",
        "--docker-host",
        `unix://${dockerd.socket}`,
        "--yes",
        "--format",
        "json",
        ...args,
      ],
      { timeout: 300000, maxBuffer: 64 * 1024 * 1024 },
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
async function migrateInBackground(volume: string, socket: string, extra: string[] = []) {
  const child = spawn(process.execPath, [
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
  ]);
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on("exit", r));
  for (let i = 0; i < 100 && !podmanOk(["volume", "exists", `${volume}.podlift-partial`]); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited, output: () => out };
}

function newVolume(name: string, build?: (dir: string) => void): string {
  docker("volume", "create", name);
  const dir = docker("volume", "inspect", "--format", "{{.Mountpoint}}", name);
  build?.(dir);
  return dir;
}

/** A file's SHA-256, streamed (a 2 GiB file does not fit in one Buffer read). */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest("hex");
}

const cleanupPodman = (names: string[], user?: string) => {
  for (const n of names) podmanOk(["volume", "rm", "-f", n], user);
};
const ROOTFUL_VOLUMES = [
  "shop_pgdata",
  "mig-api",
  "mig-killed",
  "mig-killed.podlift-partial",
  "mig-all",
  "mig-sparse",
  "mig-labelled",
  "mig-conflict",
  "mig-renamed",
  "mig-busy",
  "mig-interrupt",
  "mig-all.podlift-partial",
  "mig-interrupt.podlift-partial",
];

describe.skipIf(skip !== null)("podlift migrate volumes (real dockerd and Podman)", () => {
  beforeAll(async () => {
    cleanupPodman(ROOTFUL_VOLUMES); // left by an earlier, interrupted run
    dockerd = await startDockerd();
    createUser(USER);
  }, 120000);
  afterAll(async () => {
    cleanupPodman(ROOTFUL_VOLUMES);
    removeUser(USER);
    await dockerd?.stop();
  });

  it("rootful: every kind of entry arrives, verified, and a walk of both folders agrees", async () => {
    const src = newVolume("mig-all", (d) => buildVolume(d));
    docker("volume", "create", "--label", "team=data", "mig-labelled");
    const before = walk(src);
    const r = await migrate(["mig-all", "mig-labelled"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json?.volumes[0]).toMatchObject({
      source: "mig-all",
      target: "mig-all",
      status: "migrated",
      verified: true,
      differences: [],
    });
    const target = podman(["volume", "inspect", "--format", "{{.Mountpoint}}", "mig-all"]);
    const after = walk(target);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [p, e] of before) {
      const { nlink, ...rest } = e;
      expect({ path: p, ...after.get(p), nlink: undefined }).toEqual({ path: p, ...rest, nlink: undefined });
      if (e.type === "file" && nlink > 1) expect(after.get(p)?.nlink).toBe(nlink);
    }
    // The source is never changed, and labels come along.
    expect(walk(src)).toEqual(before);
    expect(podman(["volume", "inspect", "--format", '{{index .Labels "team"}}', "mig-labelled"])).toBe(
      "data",
    );
    // Running again finds it done.
    const again = await migrate(["mig-all"]);
    expect(again.json?.volumes[0]).toMatchObject({ status: "already-migrated" });
  }, 300000);

  it("a 2 GiB sparse file with 12 KiB of data keeps its holes in the copy, verified", async () => {
    const GiB = 1024 ** 3;
    const src = newVolume("mig-sparse", (d) => {
      const fd = openSync(`${d}/disk.img`, "w");
      for (const at of [0, GiB, 2 * GiB - 4096]) writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, at);
      closeSync(fd);
    });
    const r = await migrate(["mig-sparse"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json?.volumes[0]).toMatchObject({
      status: "migrated",
      verified: true,
      differences: [],
      notes: ["1 sparse file(s) kept their holes: disk.img"],
    });
    const copy = `${podman(["volume", "inspect", "--format", "{{.Mountpoint}}", "mig-sparse"])}/disk.img`;
    const st = statSync(copy);
    expect(st.size).toBe(2 * GiB);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024); // not 2 GiB on disk
    expect(await sha256Of(copy)).toBe(await sha256Of(`${src}/disk.img`));
    cleanupPodman(["mig-sparse"]);
  }, 300000);

  it("through the Docker API (as for a remote engine): the same content, minus other xattrs, and says so", async () => {
    const src = newVolume("mig-api", (d) => buildVolume(d, { largeMiB: 2 }));
    const before = walk(src);
    const r = await migrate(["mig-api", "--via", "engine-api"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json?.volumes[0]).toMatchObject({
      status: "migrated",
      verified: true,
      notes: [expect.stringContaining("no extended attributes but security.capability")],
    });
    const after = walk(podman(["volume", "inspect", "--format", "{{.Mountpoint}}", "mig-api"]));
    for (const [p, e] of before)
      expect({ ...after.get(p), xattr: null, nlink: 0 }).toEqual({ ...e, xattr: null, nlink: 0 });
    expect(after.get("xattr-file")?.xattr).toBeNull();
    cleanupPodman(["mig-api"]);
  }, 300000);

  it("dockerd killed mid-stream: that volume fails, nothing is left in Podman, the source is intact", async () => {
    const second = await startDockerd();
    const dockerOf = (...args: string[]) =>
      execFileSync("docker", ["-H", `unix://${second.socket}`, ...args])
        .toString()
        .trim();
    dockerOf("volume", "create", "mig-killed");
    const src = dockerOf("volume", "inspect", "--format", "{{.Mountpoint}}", "mig-killed");
    buildVolume(src, { largeMiB: 512 });
    const before = walk(src);
    const pid = Number(
      execFileSync("cat", [path.join(path.dirname(second.socket), "docker.pid")]).toString(),
    );
    const run = await migrateInBackground("mig-killed", second.socket, ["--via", "engine-api"]);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, "SIGKILL");
    expect(await run.exited).toBe(1);
    expect(JSON.parse(run.output()).volumes[0]).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/Docker engine (closed|ended) the stream|socket hang up|ECONNRESET/),
    });
    expect(podmanOk(["volume", "exists", "mig-killed.podlift-partial"])).toBe(false);
    expect(podmanOk(["volume", "exists", "mig-killed"])).toBe(false);
    expect(walk(src)).toEqual(before);
    await second.stop();
  }, 300000);

  it("rootless: ids map through the user's ranges and the copy verifies", async () => {
    newVolume("mig-rootless", (d) => buildVolume(d, { largeMiB: 2 }));
    const r = await migrate(["mig-rootless", "--user", USER]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json?.volumes[0]).toMatchObject({ status: "migrated", verified: true });
    // Independently: inside the user's namespace the owners are the source's.
    const listing = podman(
      [
        "unshare",
        "stat",
        "-c",
        "%u:%g",
        `${podman(["volume", "inspect", "--format", "{{.Mountpoint}}", "mig-rootless"], USER)}/owned`,
      ],
      USER,
    );
    expect(listing).toBe("1234:5678");
    cleanupPodman(["mig-rootless"], USER);
  }, 300000);

  it("compose check names the project's volumes still in Docker, and migrate --compose moves them", async () => {
    newVolume("shop_pgdata", (d) => writeFileSync(`${d}/PG_VERSION`, "16\n"));
    const project = path.join(import.meta.dirname, "..", "fixtures", "compose", "webapp", "compose.yaml");
    const check = () =>
      new Promise<string>((resolve) =>
        execFile(
          process.execPath,
          [BIN, "compose", "check", project, "--format", "json"],
          { env: { ...process.env, DOCKER_HOST: `unix://${dockerd.socket}` } },
          (_e, stdout) => resolve(stdout),
        ),
      );
    const codes = () => check().then((out) => JSON.parse(out).findings.map((f: { code: string }) => f.code));
    expect(await codes()).toContain("compose.volume-not-migrated");
    const r = await migrate(["--compose", project]);
    expect(r.json?.volumes[0]).toMatchObject({ source: "shop_pgdata", status: "migrated", verified: true });
    expect(await codes()).not.toContain("compose.volume-not-migrated");
    cleanupPodman(["shop_pgdata"]);
  }, 120000);

  it("rootless: ids outside the user's ranges are found before the copy, with the fix", async () => {
    newVolume("mig-highids", (d) => {
      writeFileSync(`${d}/big-owner`, "x\n");
      execFileSync("chown", ["200000:200000", `${d}/big-owner`]);
    });
    const r = await migrate(["mig-highids", "--user", USER]);
    expect(r.code).toBe(1);
    expect(JSON.stringify(r.json?.notMigrated)).toContain("uid 200000/gid 200000 cannot be mapped");
    expect(podmanOk(["volume", "exists", "mig-highids"], USER)).toBe(false);
  }, 120000);

  it("never merges into an existing volume: fail by default, skip, or replace after verifying", async () => {
    newVolume("mig-conflict", (d) => writeFileSync(`${d}/new.txt`, "from docker\n"));
    podman(["volume", "create", "mig-conflict"]);
    writeFileSync(
      `${podman(["volume", "inspect", "--format", "{{.Mountpoint}}", "mig-conflict"])}/old.txt`,
      "old podman data\n",
    );
    const failed = await migrate(["mig-conflict"]);
    expect(failed.code).toBe(1);
    expect(failed.json?.volumes[0]).toMatchObject({
      status: "failed",
      error: expect.stringContaining("exists"),
    });
    const skipped = await migrate(["mig-conflict", "--on-conflict", "skip"]);
    expect(skipped).toMatchObject({ code: 0 });
    expect(skipped.json?.volumes[0]).toMatchObject({ status: "skipped" });
    const replaced = await migrate(["mig-conflict", "--on-conflict", "replace"]);
    expect(replaced.json?.volumes[0]).toMatchObject({ status: "migrated", verified: true });
    const mp = podman(["volume", "inspect", "--format", "{{.Mountpoint}}", "mig-conflict"]);
    expect(execFileSync("ls", [mp]).toString().trim()).toBe("new.txt");
  }, 120000);

  it("maps a volume to another name, and refuses a name Docker cannot have", async () => {
    newVolume("mig-source-name", (d) => writeFileSync(`${d}/f`, "f\n"));
    const r = await migrate(["mig-source-name", "--map", "mig-source-name=mig-renamed"]);
    expect(r.json?.volumes[0]).toMatchObject({ target: "mig-renamed", status: "migrated" });
    const bad = await migrate(["my vol 'x'"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "no Docker volume named \"my vol 'x'\" (Docker volume names are letters, digits, _ . - only)",
    );
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 120000);

  it("stops the containers using a volume only with --stop-containers, and starts exactly those again", async () => {
    newVolume("mig-busy", (d) => writeFileSync(`${d}/f`, "busy\n"));
    const root = execFileSync("mktemp", ["-d"]).toString().trim();
    for (const f of ["/usr/bin/sleep", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]) {
      mkdirSync(path.dirname(`${root}${f}`), { recursive: true });
      execFileSync("cp", [f, `${root}${f}`]);
    }
    execFileSync("tar", ["-C", root, "-cf", `${root}.tar`, "."]);
    docker("import", `${root}.tar`, "podlift-test/sleep:1");
    docker(
      "run",
      "-d",
      "--network",
      "none",
      "--name",
      "busy",
      "-v",
      "mig-busy:/data",
      "podlift-test/sleep:1",
      "/usr/bin/sleep",
      "1000",
    );
    docker(
      "create",
      "--network",
      "none",
      "--name",
      "idle",
      "-v",
      "mig-busy:/data",
      "podlift-test/sleep:1",
      "/usr/bin/sleep",
      "1000",
    );
    const refused = await migrate(["mig-busy"]);
    expect(refused.json?.volumes[0]).toMatchObject({
      status: "failed",
      error: expect.stringContaining("in use by running container(s) busy"),
    });
    const r = await migrate(["mig-busy", "--stop-containers"]);
    expect(r.json?.volumes[0]).toMatchObject({ status: "migrated", restarted: [expect.any(String)] });
    expect(docker("inspect", "--format", "{{.State.Running}}", "busy")).toBe("true");
    expect(docker("inspect", "--format", "{{.State.Running}}", "idle")).toBe("false");
    docker("rm", "-f", "busy", "idle");
    cleanupPodman(["mig-busy"]);
  }, 120000);

  it("Ctrl-C mid-stream: exit 130, the partial copy removed, the source intact", async () => {
    const src = newVolume("mig-interrupt", (d) => buildVolume(d, { largeMiB: 1024 }));
    const before = walk(src);
    const run = await migrateInBackground("mig-interrupt", dockerd.socket);
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    expect(JSON.parse(run.output()).volumes[0]).toMatchObject({ status: "failed", error: "interrupted" });
    expect(podmanOk(["volume", "exists", "mig-interrupt.podlift-partial"])).toBe(false);
    expect(podmanOk(["volume", "exists", "mig-interrupt"])).toBe(false);
    expect(walk(src)).toEqual(before);
    docker("volume", "rm", "mig-interrupt");
  }, 300000);

  it("a full target filesystem fails that volume cleanly; the source is intact", async () => {
    const user = "podlift-t-full";
    createUser(user);
    const store = `/home/${user}/.local/share/containers`;
    mkdirSync(store, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", store]);
    execFileSync("chown", ["-R", `${user}:${user}`, `/home/${user}/.local`]);
    chmodSync(store, 0o700);
    try {
      const src = newVolume("mig-full", (d) => buildVolume(d, { largeMiB: 48, maxId: 60000 }));
      const before = walk(src);
      // The free-space check refuses it before copying (the sparse file's 64 MiB take no blocks).
      const r = await migrate(["mig-full", "--user", user]);
      expect(r.code).toBe(1);
      expect(JSON.stringify(r.json?.notMigrated)).toMatch(/needs 49\.\d MiB but only .* is free under/);
      expect(podmanOk(["volume", "exists", "mig-full.podlift-partial"], user)).toBe(false);
      expect(walk(src)).toEqual(before);
    } finally {
      // The mount first: userdel -r cannot remove a home with a file system mounted in it.
      execFileSync("umount", ["-l", store]);
      removeUser(user); // kills the user's processes first
    }
  }, 300000);
});
