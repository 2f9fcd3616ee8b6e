// podlift migrate images and networks against a real dockerd (own socket and data root) and the
// machine's root Podman. Nothing can be pulled here: images come from `docker import` of local
// tars. Everything created in Podman is named pl12i-… and removed afterwards.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveHost } from "../../src/host/live-host.js";
import { DockerClient } from "../../src/migrate/docker.js";
import {
  clientFor,
  type ExportClient,
  findExportClients,
  LARGE_IMAGE_BYTES,
} from "../../src/migrate/image-pipe.js";
import { planImages, runImages } from "../../src/migrate/images.js";
import { PodmanTarget } from "../../src/migrate/podman.js";
import { createUser, liveUnavailable, removeUser, type Service, startDockerd } from "./live.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const skip = liveUnavailable(["podman", "dockerd"]);
const USER = "podlift-t-12i";

let dockerd: Service;
let work: string;
const docker = (...args: string[]) =>
  execFileSync("docker", ["-H", `unix://${dockerd.socket}`, ...args])
    .toString()
    .trim();
const podman = (...args: string[]) =>
  execFileSync("podman", args, { cwd: "/", stdio: ["ignore", "pipe", "pipe"] })
    .toString()
    .trim();
const quiet = (...args: string[]) => {
  try {
    podman(...args);
  } catch {
    // not there
  }
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON output, checked field by field
  json: any;
}

function podlift(args: string[], socket = dockerd.socket): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, "migrate", ...args, "--docker-host", `unix://${socket}`],
      { timeout: 120000, maxBuffer: 64 * 1024 * 1024, cwd: work },
      (error, stdout, stderr) => {
        let json = null;
        try {
          json = JSON.parse(stdout);
        } catch {
          // text output
        }
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr, json });
      },
    );
  });
}

/** An image built here: `docker import` of a tar of a folder with this content. */
function importImage(name: string, content: string): string {
  const dir = mkdtempSync(path.join(work, "img-"));
  writeFileSync(path.join(dir, "content"), content);
  mkdirSync(path.join(dir, "etc"));
  writeFileSync(path.join(dir, "etc", "os-release"), `NAME=${name}\n`);
  const tar = `${dir}.tar`;
  execFileSync("tar", ["-C", dir, "-cf", tar, "."]);
  return docker("import", tar, name);
}

const podmanId = (name: string) => `sha256:${podman("image", "inspect", "--format", "{{.Id}}", name)}`;

const NAMES = [
  "localhost/pl12i-app:1",
  "localhost/pl12i-app:two",
  "example.com/pl12i/app:3",
  "localhost/pl12i-other:1",
  "localhost/pl12i-conf:1",
  "localhost/pl12i-compose:1",
  "localhost/pl12i-odd_name.x:v1.0-rc",
  "localhost/pl12i-route-cli:1",
  "localhost/pl12i-route-api:1",
];
const NETWORKS = ["pl12i-net", "pl12i-net6"];
const cleanupPodman = () => {
  for (const n of NAMES) quiet("rmi", "--force", n);
  for (const n of NETWORKS) quiet("network", "rm", "--force", n);
};

describe.skipIf(skip !== null)("podlift migrate images and networks (real dockerd, root Podman)", () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    cleanupPodman(); // left by an interrupted run
    work = mkdtempSync(path.join(os.tmpdir(), "pl12i-"));
    dockerd = await startDockerd();
    createUser(USER);
    ids.app = importImage("pl12i-app:1", "app\n");
    docker("tag", "pl12i-app:1", "pl12i-app:two");
    docker("tag", "pl12i-app:1", "example.com/pl12i/app:3");
    ids.other = importImage("pl12i-other:1", "other\n");
    ids.odd = importImage("pl12i-odd_name.x:v1.0-rc", "odd\n");
  }, 120000);
  afterAll(async () => {
    cleanupPodman();
    removeUser(USER);
    await dockerd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("moves every local image with every tag, ids equal, and names localhost/ where Podman forces it", async () => {
    const r = await podlift(["images", "--yes", "--format", "json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const app = r.json.images.find((i: { id: string }) => i.id === ids.app);
    expect(app).toMatchObject({ status: "migrated", verified: true, source: "pl12i-app:1" });
    expect(app.names).toEqual([
      { docker: "example.com/pl12i/app:3", podman: "example.com/pl12i/app:3" },
      expect.objectContaining({
        docker: "pl12i-app:1",
        podman: "localhost/pl12i-app:1",
        note: expect.any(String),
      }),
      expect.objectContaining({ docker: "pl12i-app:two", podman: "localhost/pl12i-app:two" }),
    ]);
    expect(app.bytes).toBeGreaterThan(1024);
    for (const name of ["localhost/pl12i-app:1", "localhost/pl12i-app:two", "example.com/pl12i/app:3"])
      expect(podmanId(name)).toBe(ids.app);
    expect(podmanId("pl12i-app:two")).toBe(ids.app); // the short name Docker users write still finds it
    expect(podmanId("localhost/pl12i-other:1")).toBe(ids.other);
    expect(podmanId("localhost/pl12i-odd_name.x:v1.0-rc")).toBe(ids.odd);
    const tags = JSON.parse(podman("image", "inspect", "--format", "{{json .RepoTags}}", ids.app as string));
    expect(tags.sort()).toEqual([
      "example.com/pl12i/app:3",
      "localhost/pl12i-app:1",
      "localhost/pl12i-app:two",
    ]);
  });

  it("--user: into the user's rootless store, id and tag checked as that user", async () => {
    const r = await podlift(["images", "pl12i-other:1", "--user", USER, "--yes", "--format", "json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json.images[0]).toMatchObject({ status: "migrated", verified: true });
    const id = execFileSync(
      "runuser",
      ["-u", USER, "--", "podman", "image", "inspect", "--format", "{{.Id}}", "localhost/pl12i-other:1"],
      { cwd: "/", env: { ...process.env, HOME: `/home/${USER}`, XDG_RUNTIME_DIR: "" } },
    )
      .toString()
      .trim();
    expect(`sha256:${id}`).toBe(ids.other);
  });

  it("skips what is there with the same id, and adds a tag Docker gained since", async () => {
    docker("tag", "pl12i-app:1", "pl12i-app:later");
    NAMES.push("localhost/pl12i-app:later");
    const r = await podlift(["images", "pl12i-app:1", "pl12i-other:1", "--yes", "--format", "json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json.images.map((i: { status: string }) => i.status).sort()).toEqual([
      "already-migrated",
      "migrated",
    ]);
    expect(r.json.images.find((i: { id: string }) => i.id === ids.app).bytes).toBe(0); // tagged, not loaded again
    expect(podmanId("localhost/pl12i-app:later")).toBe(ids.app);
  });

  it("a name Podman holds for another image: fail, skip or replace", async () => {
    ids.conf = importImage("pl12i-conf:1", "docker's\n");
    const other = path.join(work, "podman-side.tar");
    writeFileSync(path.join(work, "p"), "podman's\n");
    execFileSync("tar", ["-C", work, "-cf", other, "p"]);
    podman("import", other, "localhost/pl12i-conf:1");
    const theirs = podmanId("localhost/pl12i-conf:1");
    expect(theirs).not.toBe(ids.conf);

    const failed = await podlift(["images", "pl12i-conf:1", "--yes", "--format", "json"]);
    expect(failed.code).toBe(1);
    expect(failed.json.images[0].error).toMatch(
      /localhost\/pl12i-conf:1 is .* in Podman; choose --on-conflict/,
    );
    const skipped = await podlift([
      "images",
      "pl12i-conf:1",
      "--yes",
      "--format",
      "json",
      "--on-conflict",
      "skip",
    ]);
    expect(skipped.code).toBe(0);
    expect(skipped.json.images[0].status).toBe("skipped");
    expect(podmanId("localhost/pl12i-conf:1")).toBe(theirs);
    const replaced = await podlift([
      "images",
      "pl12i-conf:1",
      "--yes",
      "--format",
      "json",
      "--on-conflict",
      "replace",
    ]);
    expect(replaced.code, replaced.stdout).toBe(0);
    expect(replaced.json.images[0]).toMatchObject({ status: "migrated", verified: true });
    expect(podmanId("localhost/pl12i-conf:1")).toBe(ids.conf);
    quiet("rmi", "--force", theirs);
  });

  it("--compose picks the images a project uses", async () => {
    importImage("pl12i-compose:1", "compose\n");
    const dir = mkdtempSync(path.join(work, "proj-"));
    writeFileSync(
      path.join(dir, "compose.yaml"),
      "services:\n  web:\n    image: pl12i-compose:1\n  db:\n    image: postgres:16\n",
    );
    const r = await podlift([
      "images",
      "--compose",
      path.join(dir, "compose.yaml"),
      "--dry-run",
      "--format",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.images.map((i: { source: string }) => i.source)).toEqual(["pl12i-compose:1"]);
    expect(r.json.notChosen).toEqual([
      { source: "postgres:16", reason: expect.stringContaining("not in Docker") },
    ]);
  });

  it("odd names are refused clearly, with control characters escaped", async () => {
    const r = await podlift(["images", "bad name\u001b[2J$(id)", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not an image reference");
    expect(r.stderr).not.toContain("\u001b");
    const missing = await podlift(["images", "pl12i-nope:1", "--yes"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no Docker image named "pl12i-nope:1"');
  });

  it("an engine that accepts and never answers ends with a message, not a hang", async () => {
    const socket = path.join(work, "silent.sock");
    const held: Socket[] = [];
    const server = http.createServer(() => undefined); // never responds
    server.on("connection", (s) => held.push(s));
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const started = Date.now();
      const r = await podlift(["images", "--yes"], socket);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no answer within \d+ ms/);
      expect(Date.now() - started).toBeLessThan(20000);
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });

  it("an engine that stops answering or stops sending: each image fails after --stall-timeout, nothing left behind", async () => {
    const socket = path.join(work, "stall.sock");
    const held: Socket[] = [];
    const silent = `sha256:${"c".repeat(64)}`;
    const midway = `sha256:${"d".repeat(64)}`;
    const spoolsBefore = readdirSync("/var/tmp").filter((f) => /^podman\d+$/.test(f));
    const server = http.createServer((req, res) => {
      const url = req.url ?? "";
      const send = (body: unknown) => res.end(JSON.stringify(body));
      if (url.endsWith("/version")) send({ Version: "20.10", ApiVersion: "1.41" });
      else if (url.includes("/images/json"))
        send([
          { Id: silent, RepoTags: ["pl12i-stall:1"], RepoDigests: [], Size: 10, Created: 0 },
          { Id: midway, RepoTags: ["pl12i-stall:2"], RepoDigests: [], Size: 10, Created: 0 },
        ]);
      else if (url.includes("/images/pl12i-stall%3A1/json")) send({ Id: silent });
      else if (url.includes("/images/pl12i-stall%3A2/json")) send({ Id: midway });
      else if (url.includes("pl12i-stall%3A2")) {
        // the export of pl12i-stall:2 starts, sends 100 KiB, and stops
        res.writeHead(200, { "Content-Type": "application/x-tar" });
        res.write(Buffer.alloc(100 * 1024));
      }
      // pl12i-stall:1: accepted, never answered
    });
    server.on("connection", (s) => held.push(s));
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const r = await podlift(["images", "--yes", "--format", "json", "--stall-timeout", "1500"], socket);
      expect(r.code, r.stderr).toBe(1);
      expect(r.json.images).toEqual([
        expect.objectContaining({
          source: "pl12i-stall:1",
          status: "failed",
          error: expect.stringMatching(/no answer within 1500 ms/),
        }),
        expect.objectContaining({
          source: "pl12i-stall:2",
          status: "failed",
          error: "the Docker engine sent nothing for 1.5 s (after 100.0 KiB)",
        }),
      ]);
      // The killed podman load's spool (it never removes it itself) went with podlift's folder.
      expect(readdirSync("/var/tmp").filter((f) => f.startsWith("podlift-load."))).toEqual([]);
      expect(
        readdirSync("/var/tmp").filter((f) => /^podman\d+$/.test(f) && !spoolsBefore.includes(f)),
      ).toEqual([]);
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });

  it("removes the spool folder a killed podlift run left, and keeps a running one's", async () => {
    const dead = execFileSync("sh", ["-c", "echo $$"]).toString().trim(); // a pid that has exited
    const left = path.join("/var/tmp", `podlift-load.${dead}.AbC123`);
    const running = path.join("/var/tmp", `podlift-load.${process.pid}.AbC123`);
    for (const dir of [left, running]) {
      mkdirSync(dir);
      writeFileSync(path.join(dir, "podman123"), "partial\n");
    }
    try {
      const r = await podlift(["images", "pl12i-other:1", "--yes", "--format", "json"]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const now = readdirSync("/var/tmp");
      expect(now).not.toContain(path.basename(left));
      expect(now).toContain(path.basename(running));
    } finally {
      rmSync(left, { recursive: true, force: true });
      rmSync(running, { recursive: true, force: true });
    }
  });

  it("each route moves an image with its id and name: the docker CLI, and through Node (curl: the tests above)", async () => {
    const host = new LiveHost("/");
    // both installed here: curl for a small image, the docker CLI for a large one
    const found = await findExportClients(host);
    expect(clientFor(found, 2 * 1024 * 1024)).toMatchObject({ kind: "curl" });
    expect(clientFor(found, LARGE_IMAGE_BYTES)).toMatchObject({ kind: "docker-cli" });
    const docker = new DockerClient(`unix://${dockerd.socket}`);
    const podmanTarget = new PodmanTarget(host, null);
    const routes: [string, ExportClient | null][] = [
      ["pl12i-route-cli:1", found.dockerCli],
      ["pl12i-route-api:1", null],
    ];
    for (const [name, client] of routes) {
      const id = importImage(name, `${name}\n`);
      const plan = await planImages(docker, podmanTarget, { names: [name], all: false });
      const [result] = await runImages(docker, podmanTarget, plan, plan.items, {
        onConflict: "fail",
        stallMs: 30000,
        parallel: 1,
        progress: null,
        clients: Promise.resolve({ curl: null, dockerCli: client }),
      });
      expect(result, name).toMatchObject({ status: "migrated", verified: true, id });
      expect(result?.bytes).toBeGreaterThan(1024);
      expect(podmanId(`localhost/${name}`)).toBe(id);
    }
  });

  it("an export client killed mid-stream: that image fails at once, no hang, no spool left behind", async () => {
    const socket = path.join(work, "killed.sock");
    const held: Socket[] = [];
    const id = `sha256:${"e".repeat(64)}`;
    const spoolsBefore = readdirSync("/var/tmp").filter((f) => /^podman\d+$/.test(f));
    const server = http.createServer((req, res) => {
      const url = req.url ?? "";
      const send = (body: unknown) => res.end(JSON.stringify(body));
      if (url.endsWith("/version")) send({ Version: "20.10", ApiVersion: "1.41" });
      else if (url.includes("/images/json"))
        send([{ Id: id, RepoTags: ["pl12i-killed:1"], RepoDigests: [], Size: 10, Created: 0 }]);
      else if (url.includes("/images/pl12i-killed%3A1/json")) send({ Id: id });
      else if (url.includes("/images/get")) {
        // 1 MiB of the export, then the engine keeps the stream open without sending more
        res.writeHead(200, { "Content-Type": "application/x-tar" });
        res.write(Buffer.alloc(1024 * 1024));
      }
    });
    server.on("connection", (s) => held.push(s));
    await new Promise<void>((r) => server.listen(socket, r));
    // The curl that fetches from this engine, once it has started.
    const findCurl = () =>
      readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .find((p) => {
          try {
            const argv = readFileSync(`/proc/${p}/cmdline`, "latin1").split("\0");
            return argv[0]?.endsWith("curl") && argv.includes(socket);
          } catch {
            return false;
          }
        });
    try {
      const started = Date.now();
      const running = podlift(["images", "--yes", "--format", "json", "--stall-timeout", "60000"], socket);
      let pid: string | undefined;
      for (let i = 0; i < 100 && pid === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        pid = findCurl();
      }
      expect(pid).toBeDefined();
      await new Promise((r) => setTimeout(r, 300)); // the 1 MiB is in podman load by now
      process.kill(Number(pid), "SIGKILL");
      const r = await running;
      expect(r.code, r.stderr).toBe(1);
      expect(r.json.images).toEqual([
        expect.objectContaining({
          source: "pl12i-killed:1",
          status: "failed",
          error: "exporting pl12i-killed:1 with curl failed (killed by SIGKILL)",
        }),
      ]);
      expect(Date.now() - started).toBeLessThan(20000); // far below the stall timeout
      expect(readdirSync("/var/tmp").filter((f) => f.startsWith("podlift-load."))).toEqual([]);
      expect(
        readdirSync("/var/tmp").filter((f) => /^podman\d+$/.test(f) && !spoolsBefore.includes(f)),
      ).toEqual([]);
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });

  it("networks: a bridge with a fixed subnet, range, internal flag and labels arrives as it was", async () => {
    docker(
      "network",
      "create",
      "--subnet",
      "10.212.0.0/16",
      "--gateway",
      "10.212.0.254",
      "--ip-range",
      "10.212.7.0/24",
      "--internal",
      "--label",
      "team=web",
      "--label",
      "podlift.test=12i",
      "-o",
      "com.docker.network.driver.mtu=1400",
      "-o",
      "com.docker.network.bridge.name=pl12i-br0",
      "pl12i-net",
    );
    // While Docker's bridge holds the subnet, Podman refuses it: the plan says so up front.
    const plan = await podlift(["networks", "pl12i-net", "--dry-run", "--format", "json"]);
    expect(plan.json.networks[0].subnetInUse).toEqual(["pl12i-br0 (10.212.0.254)"]);
    const refused = await podlift(["networks", "pl12i-net", "--yes", "--format", "json"]);
    expect(refused.code).toBe(1);
    expect(refused.json.networks[0].error).toContain("in use on this host by pl12i-br0");

    // Docker's bridge gone (as after docker network rm, or on another host): it moves.
    execFileSync("ip", ["link", "delete", "pl12i-br0"]);
    const r = await podlift(["networks", "--yes", "--format", "json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.notCopied.sort()).toEqual(["host", "none"]);
    const result = r.json.networks.find((n: { source: string }) => n.source === "pl12i-net");
    expect(result).toMatchObject({ status: "migrated", driver: "bridge" });
    expect(result.findings).toEqual([
      expect.objectContaining({ option: "com.docker.network.bridge.name", value: "pl12i-br0" }),
    ]);
    const [inspect] = JSON.parse(podman("network", "inspect", "pl12i-net"));
    expect(inspect).toMatchObject({
      name: "pl12i-net",
      driver: "bridge",
      internal: true,
      ipv6_enabled: false,
      labels: { team: "web", "podlift.test": "12i" },
      options: { mtu: "1400" },
      subnets: [
        {
          subnet: "10.212.0.0/16",
          gateway: "10.212.0.254",
          lease_range: { start_ip: "10.212.7.1", end_ip: "10.212.7.255" },
        },
      ],
    });

    const again = await podlift(["networks", "pl12i-net", "--yes", "--format", "json"]);
    expect(again.json.networks[0].status).toBe("already-migrated");
    docker("network", "rm", "pl12i-net");
  });

  it("networks: IPv6 and a differing Podman network of the same name", async () => {
    docker(
      "network",
      "create",
      "--ipv6",
      "--subnet",
      "fd00:212::/64",
      "--subnet",
      "10.213.0.0/24",
      "pl12i-net6",
    );
    const bridge = JSON.parse(docker("network", "inspect", "pl12i-net6"))[0].Id.slice(0, 12);
    execFileSync("ip", ["link", "delete", `br-${bridge}`]);
    podman("network", "create", "--subnet", "10.214.0.0/24", "pl12i-net6");
    const failed = await podlift(["networks", "pl12i-net6", "--yes", "--format", "json"]);
    expect(failed.code).toBe(1);
    expect(failed.json.networks[0].error).toContain("no subnet 10.213.0.0/24");
    const replaced = await podlift([
      "networks",
      "pl12i-net6",
      "--yes",
      "--format",
      "json",
      "--on-conflict",
      "replace",
    ]);
    expect(replaced.code, replaced.stdout).toBe(0);
    const [inspect] = JSON.parse(podman("network", "inspect", "pl12i-net6"));
    expect(inspect.ipv6_enabled).toBe(true);
    expect(inspect.subnets.map((s: { subnet: string }) => s.subnet).sort()).toEqual([
      "10.213.0.0/24",
      "fd00:212::/64",
    ]);
    docker("network", "rm", "pl12i-net6");
  });
});
