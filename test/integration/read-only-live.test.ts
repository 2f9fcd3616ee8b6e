// The read-only promise, proven on this machine: doctor (rootful and for a throwaway user),
// fix --dry-run, compose check, migrate volumes --dry-run and bundle, each between two manifests
// of /etc, /dev, /var/lib/containers, /var/lib/docker, the Docker engine's data root and the
// user's home. Nothing may change but the file the command documents (its report, its bundle)
// and the lock and state files that Podman itself rewrites on every podman command podlift runs
// (README, "Safety": podman info rewrites its storage lock tokens; the canary's podman run --rm
// adds and removes a container record).
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, liveUnavailable, removeUser, type Service, startDockerd } from "./live.js";
import { diffManifests, manifest } from "./manifest.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const skip = liveUnavailable(["podman", "dockerd"]);
const USER = "plro";
const HOME = `/home/${USER}`;

// Podman's own bookkeeping, rewritten by any podman command whatever the storage driver (lock
// tokens, the container database, the container and layer records a `podman run --rm` adds and
// removes, the driver's empty folders made on first use), and the short-name alias lock any image
// lookup by a short name takes (compose check inspects the project's images).
const PODMAN_STATE =
  /^((\/var\/lib\/containers|\/home\/plro\/\.local\/share\/containers)\/storage\/(storage\.lock|userns\.lock|(overlay|vfs|btrfs|zfs)-(layers|images|containers)\/(layers|images|containers)\.(lock|json)|(overlay|vfs)\/(dir|l)|libpod\/bolt_state\.db|db\.sql(-wal|-shm)?)|(\/root|\/home\/plro)\/\.cache\/containers\/short-name-aliases\.conf\.lock)$/;

let dockerd: Service;
let out: string;
let project: string;
let roots: string[];

function podlift(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: out,
        env: { ...process.env, CI: "true", DOCKER_HOST: `unix://${dockerd.socket}` },
        timeout: 180000,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs the command between two manifests; returns what changed that Podman does not own. */
async function changesBy(args: string[]): Promise<{ changes: string[]; code: number; stderr: string }> {
  const skipPath = (p: string) =>
    p.startsWith("/dev/pts") || p === "/dev/ptmx" || p.startsWith("/dev/shm/libpod");
  const before = manifest(roots, skipPath);
  const r = await podlift(args);
  const after = manifest(roots, skipPath);
  const changes = diffManifests(before, after).filter((line) => {
    const p = line.replace(/^(added|removed|changed) /, "").replace(/: .*$/, "");
    return !PODMAN_STATE.test(p);
  });
  return { changes, code: r.code, stderr: r.stderr };
}

describe.skipIf(skip !== null)("read-only guarantee (live)", () => {
  beforeAll(async () => {
    createUser(USER);
    // Podman creates a user's storage on first use, whoever asks: do that before the baseline.
    execFileSync("runuser", ["-u", USER, "--", "podman", "info"], { stdio: "ignore", cwd: "/" });
    // And its short-name alias cache (~/.cache/containers) on the first image lookup by short name.
    spawnSync("runuser", ["-u", USER, "--", "podman", "image", "exists", "podlift-warm-up"], { cwd: "/" });
    dockerd = await startDockerd();
    execFileSync("docker", ["-H", `unix://${dockerd.socket}`, "volume", "create", "ro-data"], {
      stdio: "ignore",
    });
    out = mkdtempSync(path.join(os.tmpdir(), "podlift-ro-out-"));
    project = mkdtempSync(path.join(os.tmpdir(), "podlift-ro-project-"));
    writeFileSync(
      path.join(project, "compose.yaml"),
      "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n    volumes: ['/etc:/data:z', './html:/usr/share/nginx/html']\n",
    );
    roots = [
      "/etc",
      "/dev",
      "/var/lib/containers",
      "/var/lib/docker",
      path.dirname(dockerd.socket),
      HOME,
    ].filter((r) => existsSync(r));
  }, 120000);

  afterAll(async () => {
    await dockerd?.stop();
    removeUser(USER);
    execFileSync("rm", ["-rf", out, project]);
  });

  it("the manifest sees a chmod, a same-size rewrite and a new file (the proof can fail)", () => {
    const probe = path.join(HOME, "probe.txt");
    writeFileSync(probe, "aaaa");
    const before = manifest([HOME]);
    chmodSync(probe, 0o600);
    writeFileSync(probe, "bbbb");
    writeFileSync(path.join(HOME, "new.txt"), "");
    const changes = diffManifests(before, manifest([HOME]));
    expect(changes).toEqual([
      `added ${HOME}/new.txt`,
      expect.stringMatching(/^changed \/home\/plro\/probe.txt: .*mode=644.*-> .*mode=600/),
    ]);
    rmSync(probe);
    rmSync(path.join(HOME, "new.txt"));
  });

  it("doctor (rootful) changes nothing but its report", async () => {
    const r = await changesBy(["doctor", "--format", "json", "--output", path.join(out, "doctor.json")]);
    expect(r.changes).toEqual([]);
    expect(existsSync(path.join(out, "doctor.json"))).toBe(true);
  }, 180000);

  it("doctor for a throwaway rootless user changes nothing but its report", async () => {
    const r = await changesBy([
      "doctor",
      "--user",
      USER,
      "--format",
      "json",
      "--output",
      path.join(out, "doctor-user.json"),
    ]);
    expect(r.changes).toEqual([]);
  }, 180000);

  it("fix --dry-run changes nothing at all", async () => {
    const r = await changesBy(["fix", "--dry-run", "--user", USER]);
    expect(r.changes).toEqual([]);
    expect(r.stderr).not.toContain("internal error");
  }, 180000);

  it("compose check changes nothing, not even the project folder", async () => {
    const before = readdirSync(project);
    const r = await changesBy(["compose", "check", path.join(project, "compose.yaml"), "--user", USER]);
    expect(r.changes).toEqual([]);
    expect(readdirSync(project)).toEqual(before);
  }, 180000);

  it("migrate volumes --dry-run changes neither Docker's nor Podman's state", async () => {
    const r = await changesBy([
      "migrate",
      "volumes",
      "--dry-run",
      "--docker-host",
      `unix://${dockerd.socket}`,
    ]);
    expect(r.changes).toEqual([]);
    expect(r.code).toBe(0);
  }, 180000);

  it("bundle changes nothing but the bundle it writes", async () => {
    const r = await changesBy(["bundle", "--user", USER, "-o", path.join(out, "bundle.tar.gz")]);
    expect(r.changes).toEqual([]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["bundle.tar.gz", "doctor-user.json", "doctor.json"]);
  }, 180000);
});
