// podlift migrate services against real engines: containers shaped like real deployments are
// created in a private dockerd (images imported from a tiny local tar: nothing is pulled), read
// back through the engine API, turned into units, and every unit is handed to the real Podman 5
// Quadlet generator in a cached Debian 13 root. The containers the units describe are then
// really created there from the generated ExecStart lines (`podman create`, same arguments).
import { execFile, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProject } from "../../src/compose/project.js";
import { LiveHost } from "../../src/host/live-host.js";
import { DockerClient } from "../../src/migrate/docker.js";
import { servicesFromCompose } from "../../src/services/compose-source.js";
import { inventoryFromDocker } from "../../src/services/docker-source.js";
import type { Inventory } from "../../src/services/model.js";
import { type HostFacts, planServices } from "../../src/services/plan.js";
import { ensureTrixieRoot, quadletDryRun, trixieUnavailable, withMounts } from "./debian-roots.js";
import { liveUnavailable, type Service, startDockerd } from "./live.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "services");
const skip = liveUnavailable(["dockerd"]) ?? trixieUnavailable();
const PODMAN5: HostFacts = { podmanVersion: "5.4.2", systemd: true, quadlet: true };
const ALICE = { name: "alice", uid: 1000, gid: 1000, home: "/home/alice", shell: "/bin/sh" };

let dockerd: Service;
let docker: DockerClient;
let root: string;
let inv: Inventory;
/** `podlift migrate services --docker-host … --dry-run --format json`, run before the containers go. */
let fromCli: { code: number; stdout: string; stderr: string };
const figures: Record<string, unknown> = {};

async function importImage(ref: string): Promise<void> {
  const [repo, tag] = ref.split(/:(?=[^/]+$)/) as [string, string];
  // An image whose own config sets PATH and a command, as real images do: podlift writes only
  // what the container changes.
  const changes = ["ENV PATH=/usr/local/bin:/usr/bin:/bin", 'CMD ["/bin/app"]']
    .map((c) => `&changes=${encodeURIComponent(c)}`)
    .join("");
  const res = await docker.open(
    "POST",
    `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${tag}${changes}`,
    Buffer.alloc(1024),
  );
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  if ((res.statusCode ?? 500) >= 300) throw new Error(Buffer.concat(chunks).toString());
}

const compose = (project: string, service: string, extra: Record<string, string> = {}) => ({
  "com.docker.compose.project": project,
  "com.docker.compose.service": service,
  "com.docker.compose.container-number": "1",
  ...extra,
});

async function create(name: string, body: Record<string, unknown>, connect: string[] = []) {
  const { Id } = await docker.call<{ Id: string }>("POST", `/containers/create?name=${name}`, body);
  for (const net of connect)
    await docker.call("POST", `/networks/${net}/connect`, { Container: Id, EndpointConfig: { Aliases: [] } });
}

/** Twelve containers in three compose projects and four on their own, shaped like real ones. */
async function fixtureContainers(): Promise<void> {
  for (const image of [
    "localhost/shop-web:1.4",
    "localhost/postgres:16",
    "localhost/redis:7",
    "localhost/jupyterhub:5",
    "localhost/notebook:latest",
    "localhost/gpu-notebook:cuda12",
    "localhost/caddy:2",
    "localhost/whoami:1",
    "localhost/legacy:0.9",
  ])
    await importImage(image);
  await docker.call("POST", "/networks/create", {
    Name: "shop_backend",
    Internal: true,
    IPAM: { Config: [{ Subnet: "10.213.57.0/24", Gateway: "10.213.57.1" }] },
    Labels: compose("shop", "backend"),
  });
  await docker.call("POST", "/networks/create", { Name: "shop_frontend" });
  await docker.call("POST", "/networks/create", { Name: "jupyterhub-network" });
  for (const v of [
    "shop_pgdata",
    "shop_redis",
    "shop_media",
    "jhub_hub-data",
    "jhub_hub-db",
    "lab_conda",
    "edge_caddy-data",
  ])
    await docker.call("POST", "/volumes/create", { Name: v });
  const net = (name: string, aliases: string[] = []) => ({
    NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: aliases } } },
  });
  // shop: web app, database, cache.
  await create("shop-db-1", {
    Image: "localhost/postgres:16",
    Env: ["POSTGRES_USER=shop", 'POSTGRES_PASSWORD=s3cr$HOME %h "q"'],
    Labels: compose("shop", "db"),
    Healthcheck: { Test: ["CMD-SHELL", "pg_isready -U shop"], Interval: 10e9, Retries: 5 },
    HostConfig: {
      Mounts: [{ Type: "volume", Source: "shop_pgdata", Target: "/var/lib/postgresql/data" }],
      RestartPolicy: { Name: "always" },
      ShmSize: 256 * 1024 * 1024,
      NetworkMode: "shop_backend",
    },
    ...net("shop_backend", ["db"]),
  });
  await create("shop-cache-1", {
    Image: "localhost/redis:7",
    Cmd: ["redis-server", "--appendonly", "yes"],
    User: "999:999",
    Labels: compose("shop", "cache"),
    HostConfig: {
      Mounts: [{ Type: "volume", Source: "shop_redis", Target: "/data" }],
      RestartPolicy: { Name: "always" },
      CapDrop: ["ALL"],
      NetworkMode: "shop_backend",
    },
    ...net("shop_backend", ["cache"]),
  });
  mkdirSync("/tmp/podlift-services-static", { recursive: true });
  await create(
    "shop-web-1",
    {
      Image: "localhost/shop-web:1.4",
      Cmd: ["gunicorn", "shop.wsgi", "--access-logformat", "%(h)s %(r)s"],
      Env: ["DJANGO_SETTINGS_MODULE=shop.settings", "PRICE_FORMAT=$%.2f"],
      Labels: compose("shop", "web", {
        "com.docker.compose.depends_on": "db:service_healthy:false,cache:service_started:false",
        "org.example.team": "web shop",
      }),
      ExposedPorts: { "8000/tcp": {} },
      Healthcheck: {
        Test: ["CMD", "curl", "-fsS", "http://localhost:8000/health"],
        Interval: 30e9,
        Timeout: 5e9,
      },
      HostConfig: {
        PortBindings: { "8000/tcp": [{ HostIp: "127.0.0.1", HostPort: "8000" }] },
        Mounts: [
          { Type: "bind", Source: "/tmp/podlift-services-static", Target: "/app/static", ReadOnly: true },
          { Type: "volume", Source: "shop_media", Target: "/app/media" },
        ],
        RestartPolicy: { Name: "unless-stopped" },
        NetworkMode: "shop_frontend",
      },
      ...net("shop_frontend", ["web"]),
    },
    ["shop_backend"],
  );
  // JupyterHub with DockerSpawner: the engine's socket, a named network, a spawned notebook.
  await create("jupyterhub", {
    Image: "localhost/jupyterhub:5",
    Env: ["DOCKER_NETWORK_NAME=jupyterhub-network", "DOCKER_HOST=unix:///var/run/docker.sock"],
    Labels: compose("jhub", "hub", { "com.docker.compose.depends_on": "hub-db:service_started:false" }),
    ExposedPorts: { "8000/tcp": {} },
    HostConfig: {
      PortBindings: { "8000/tcp": [{ HostPort: "8000" }] },
      Binds: ["/var/run/docker.sock:/var/run/docker.sock", "jhub_hub-data:/data"],
      RestartPolicy: { Name: "always" },
      LogConfig: { Type: "json-file", Config: { "max-size": "10m" } },
      NetworkMode: "jupyterhub-network",
    },
    ...net("jupyterhub-network", ["hub"]),
  });
  await create("jhub-hub-db-1", {
    Image: "localhost/postgres:16",
    Labels: compose("jhub", "hub-db"),
    HostConfig: {
      Binds: ["jhub_hub-db:/var/lib/postgresql/data"],
      RestartPolicy: { Name: "always" },
      NetworkMode: "jupyterhub-network",
    },
    ...net("jupyterhub-network", ["hub-db"]),
  });
  await create("jupyter-alice", {
    Image: "localhost/notebook:latest",
    Cmd: ["start-singleuser.sh", "--ip=0.0.0.0"],
    Env: ["JUPYTERHUB_USER=alice", "JUPYTERHUB_API_TOKEN=0123abcd"],
    Labels: { "tljh.spawner": "dockerspawner", "tljh.user": "alice" },
    HostConfig: { NetworkMode: "jupyterhub-network", Binds: ["jupyterhub-user-alice:/home/jovyan/work"] },
  });
  // lab: a GPU notebook.
  await create("lab-notebook-1", {
    Image: "localhost/gpu-notebook:cuda12",
    Cmd: ["start-notebook.sh", "--NotebookApp.token=", "--NotebookApp.base_url=/lab"],
    User: "1000:100",
    WorkingDir: "/home/jovyan/work",
    Env: ["NVIDIA_VISIBLE_DEVICES=all", "GREETING=100% ready, cost $5"],
    Labels: compose("lab", "notebook"),
    ExposedPorts: { "8888/tcp": {} },
    HostConfig: {
      PortBindings: { "8888/tcp": [{ HostPort: "8888" }] },
      Binds: ["lab_conda:/opt/conda/pkgs"],
      ShmSize: 2 * 1024 * 1024 * 1024,
      RestartPolicy: { Name: "unless-stopped" },
      DeviceRequests: [{ Driver: "nvidia", Count: -1, Capabilities: [["gpu"]] }],
      NetworkMode: "none",
    },
  });
  // A reverse proxy on 80/443 with a sidecar in its network namespace.
  await create("edge-proxy", {
    Image: "localhost/caddy:2",
    Labels: { "org.example.role": "edge proxy" },
    ExposedPorts: { "80/tcp": {}, "443/tcp": {}, "443/udp": {} },
    HostConfig: {
      PortBindings: {
        "80/tcp": [{ HostPort: "80" }],
        "443/tcp": [{ HostPort: "443" }],
        "443/udp": [{ HostPort: "443" }],
      },
      Binds: ["edge_caddy-data:/data", "/tmp/podlift-services-static:/srv/www:ro"],
      CapAdd: ["NET_BIND_SERVICE"],
      RestartPolicy: { Name: "always" },
      LogConfig: { Type: "syslog", Config: {} },
      ExtraHosts: ["host.docker.internal:host-gateway"],
      NetworkMode: "shop_frontend",
    },
  });
  await create("edge-whoami", {
    Image: "localhost/whoami:1",
    HostConfig: {
      NetworkMode: "container:edge-proxy",
      RestartPolicy: { Name: "on-failure", MaximumRetryCount: 5 },
    },
  });
  // An old-style app with a legacy --link to the database.
  await create("legacy-report", {
    Image: "localhost/legacy:0.9",
    Cmd: ["/bin/app", "--db", "db:5432"],
    // As `docker run --network shop_backend --link shop-db-1:db` sends it: on a user-defined
    // network the link is kept with the endpoint.
    HostConfig: { NetworkMode: "shop_backend", RestartPolicy: { Name: "always" } },
    NetworkingConfig: { EndpointsConfig: { shop_backend: { Links: ["shop-db-1:db"] } } },
  });
}

const CHROOT_PODMAN = [
  "podman",
  "--storage-driver",
  "vfs",
  "--root",
  "/var/tmp/podlift-st/storage",
  "--runroot",
  "/var/tmp/podlift-st/run",
  "--network-config-dir",
  "/var/tmp/podlift-st/net",
];

function chroot(argv: string[]) {
  return spawnSync("chroot", [root, ...argv], {
    encoding: "utf8",
    timeout: 60000,
    killSignal: "SIGKILL",
    // A TMPDIR of the test's own (a folder the root lacks) would fail podman in it.
    env: { ...process.env, TMPDIR: undefined, PODMAN_IGNORE_CGROUPSV1_WARNING: "1" },
  });
}

/** systemd's word splitting of an Exec line, then its specifiers and $$ undone (%t, %n, %N). */
export function execWords(line: string, unit: string, runtime = "/run"): string[] {
  const words: string[] = [];
  let cur = "";
  let quoted = false;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"') quoted = false;
      else if (ch === "\\" && i + 1 < line.length) {
        const next = line[++i] as string;
        cur += next === "n" ? "\n" : next === "t" ? "\t" : next;
      } else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      any = true;
    } else if (ch === " ") {
      if (cur !== "" || any) words.push(cur);
      cur = "";
      any = false;
    } else cur += ch;
  }
  if (cur !== "" || any) words.push(cur);
  const base = unit.replace(/\.service$/, "");
  return words.map((w) =>
    w.replace(/%%|%t|%n|%N|\$\$/g, (m) =>
      m === "%%" ? "%" : m === "$$" ? "$" : m === "%t" ? runtime : m === "%n" ? unit : base,
    ),
  );
}

/** Generated services by name, from `quadlet -dryrun` output. */
function generated(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.split(/^---(.+?)---$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i] as string, parts[i + 1] as string);
  return out;
}

function warnings(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "" && !/Loading source unit file/.test(l));
}

/** A podman command line: the trixie root's Podman 5, or this host's (4.3 on Debian 12). */
type Podman = (args: string[]) => { status: number | null; stderr: string; stdout: string };

const chrootPodman: Podman = (args) => chroot([...CHROOT_PODMAN, ...args]);

/** This host's Podman on storage and network configuration of its own: nothing shared is touched. */
function hostPodman(dir: string): Podman {
  const flags = [
    "--storage-driver",
    "vfs",
    "--root",
    `${dir}/storage`,
    "--runroot",
    `${dir}/run`,
    "--network-config-dir",
    `${dir}/net`,
  ];
  return (args) =>
    spawnSync("podman", [...flags, ...args], { encoding: "utf8", timeout: 60000, killSignal: "SIGKILL" });
}

/**
 * Creates what the units describe, from their ExecStart lines: `podman run` becomes `podman
 * create` with the same arguments (only -d, which create has not, is dropped; %t is `runtime`).
 * Networks and volumes first. A unit whose bind source is missing on this host is skipped.
 */
function createFromExecStarts(
  units: Map<string, string>,
  images: string[],
  tar: string,
  podman: Podman,
  runtime: string,
  exists: (hostPath: string) => boolean,
): { created: string[]; failed: string[]; skipped: string[] } {
  const created: string[] = [];
  const failed: string[] = [];
  const skipped: string[] = [];
  // With the command the Docker image has (migrate images carries it): Podman 4.3 refuses to
  // create a container with none.
  for (const image of images) podman(["import", "-q", "--change", 'CMD ["/bin/app"]', tar, image]);
  const ordered = [...units.entries()].sort(
    ([a], [b]) =>
      Number(!/-(network|volume)\.service$/.test(a)) - Number(!/-(network|volume)\.service$/.test(b)),
  );
  for (const [name, text] of ordered) {
    const lines = text.split("\n").filter((l) => /^ExecStart(Pre)?=/.test(l) && !/\/bin\/rm /.test(l));
    for (const line of lines) {
      const argv = execWords(line.replace(/^ExecStart(Pre)?=-?/, ""), name, runtime);
      if (argv[0] !== "/usr/bin/podman") continue;
      const isRun = argv[1] === "run";
      const args = argv.slice(1).filter((a) => !(isRun && a === "-d"));
      if (isRun) {
        args[0] = "create";
        const missing = args
          .flatMap((a, i) => (args[i - 1] === "-v" && a.startsWith("/") ? [a.split(":")[0] as string] : []))
          .filter((p) => !exists(p));
        if (missing.length > 0) {
          skipped.push(`${name}: ${missing.join(", ")} absent here`);
          continue;
        }
      }
      const r = podman(args);
      if (!isRun) continue;
      if (r.status === 0) created.push(name);
      else failed.push(`${name}: ${r.stderr.trim().split("\n").pop()}`);
    }
  }
  return { created, failed, skipped };
}

/** The trixie root made ready for creates: fresh storage, the empty image tar, the bind sources. */
function prepareRoot(): void {
  rmSync(path.join(root, "var/tmp/podlift-st"), { recursive: true, force: true });
  mkdirSync(path.join(root, "var/tmp/podlift-st/t"), { recursive: true });
  writeFileSync(path.join(root, "tmp/empty.tar"), Buffer.alloc(1024));
  for (const s of inv.services)
    for (const m of s.mounts.filter((x) => x.kind === "bind")) {
      const inside = inRoot(m.source);
      if (m.source.endsWith(".sock")) {
        mkdirSync(path.dirname(inside), { recursive: true });
        writeFileSync(inside, "");
      } else mkdirSync(inside, { recursive: true });
    }
}

/** A path inside the root with its links resolved inside the root too (/var/run -> /run stays in it). */
function inRoot(p: string): string {
  let at = root;
  for (const part of p.split("/").filter(Boolean)) {
    const next = path.join(at, part);
    let target: string | null = null;
    try {
      target = readlinkSync(next);
    } catch {
      // not a link, or absent
    }
    at = target === null ? next : path.join(target.startsWith("/") ? root : at, target);
  }
  if (!at.startsWith(`${root}/`)) throw new Error(`${p} leaves the root`);
  return at;
}

function inspectEnv(container: string): string[] {
  const r = chrootPodman(["container", "inspect", "--format", "{{json .Config.Env}}", container]);
  return JSON.parse(r.stdout || "[]") as string[];
}

describe.skipIf(skip)("migrate services: real dockerd, real Podman 5 Quadlet generator", () => {
  beforeAll(
    async () => {
      const t0 = Date.now();
      const built = await ensureTrixieRoot();
      root = built.dir;
      figures.trixieRoot =
        built.builtMs === null ? "cached" : `built in ${(built.builtMs / 1000).toFixed(1)} s`;
      figures.trixieReadyMs = Date.now() - t0;
      dockerd = await startDockerd();
      docker = new DockerClient(`unix://${dockerd.socket}`);
      await fixtureContainers();
      inv = await inventoryFromDocker(docker);
      fromCli = await cli([
        "migrate",
        "services",
        "--docker-host",
        `unix://${dockerd.socket}`,
        "--as",
        "quadlet",
        "--dry-run",
        "--format",
        "json",
      ]);
      // Docker's bridges hold their subnets on the host, which Podman in the root shares: gone
      // once read, so the units can create the same networks there.
      for (const c of await docker.call<{ Id: string }[]>("GET", "/containers/json?all=1"))
        await docker.call("DELETE", `/containers/${c.Id}?force=1`);
      for (const n of ["shop_backend", "shop_frontend", "jupyterhub-network"])
        await docker.call("DELETE", `/networks/${n}`);
    },
    20 * 60 * 1000,
  );

  afterAll(async () => {
    await dockerd?.stop();
    rmSync("/tmp/podlift-services-static", { recursive: true, force: true });
    if (root) {
      // What prepareRoot made in the cached root: storage, and the bind sources of the units.
      rmSync(path.join(root, "var/tmp/podlift-st"), { recursive: true, force: true });
      rmSync(path.join(root, "tmp/podlift-services-static"), { recursive: true, force: true });
      rmSync(path.join(root, "run/docker.sock"), { force: true });
    }
    console.log(`services figures: ${JSON.stringify(figures, null, 2)}`);
  });

  it("reads every container, running or not, through the engine API", () => {
    expect(inv.services.map((s) => s.name).sort()).toEqual([
      "edge-proxy",
      "edge-whoami",
      "jhub-hub-db-1",
      "jupyter-alice",
      "jupyterhub",
      "lab-notebook-1",
      "legacy-report",
      "shop-cache-1",
      "shop-db-1",
      "shop-web-1",
    ]);
    const web = inv.services.find((s) => s.name === "shop-web-1");
    // What the image sets (PATH) stays with the image; the container's own values are carried.
    expect(web?.env).toEqual([
      ["DJANGO_SETTINGS_MODULE", "shop.settings"],
      ["PRICE_FORMAT", "$%.2f"],
    ]);
    expect(web?.dependsOn.sort()).toEqual(["shop-cache-1", "shop-db-1"]);
    expect(web?.networks.sort()).toEqual(["shop_backend", "shop_frontend"]);
    expect(inv.services.find((s) => s.name === "lab-notebook-1")?.cdiDevices).toEqual(["nvidia.com/gpu=all"]);
    expect(inv.networks.find((n) => n.name === "shop_backend")).toMatchObject({
      internal: true,
      subnets: [{ subnet: "10.213.57.0/24", gateway: "10.213.57.1" }],
    });
    const gaps = inv.gaps.map((g) => `${g.object}:${g.option}`).sort();
    expect(gaps).toEqual([
      "edge-proxy:log_driver",
      "edge-whoami:network_mode",
      "jupyterhub:log_driver",
      "legacy-report:links",
    ]);
    figures.containers = inv.services.length;
    figures.composeProjects = new Set(inv.services.map((s) => s.project).filter(Boolean)).size;
    figures.optionsCarried = Object.values(inv.carried).reduce((a, b) => a + b, 0);
    figures.carriedByKind = inv.carried;
  });

  it("the command line reads the same engine and proposes the same units", () => {
    expect(fromCli.stderr).toBe("");
    expect(fromCli.code).toBe(0);
    const out = JSON.parse(fromCli.stdout);
    expect(out.mode).toBe("quadlet");
    expect(out.containers.length).toBe(inv.services.length);
    const sp = planServices(inv, PODMAN5, { user: null });
    expect(out.files.map((f: { path: string }) => f.path)).toEqual(sp.files.map((f) => f.path));
  });

  it.each([
    ["rootful", null],
    ["rootless", ALICE],
  ] as const)("every %s Quadlet unit is accepted by Podman 5's generator with no warning", (_kind, user) => {
    const sp = planServices(inv, PODMAN5, { user });
    const r = quadletDryRun(root, sp.files, user !== null);
    expect(warnings(r.stderr)).toEqual([]);
    expect(r.status).toBe(0);
    const services = generated(r.stdout);
    const containerUnits = sp.files.filter((f) => f.name.endsWith(".container"));
    for (const f of sp.files)
      expect(
        services.has(
          f.name.replace(/\.(container|volume|network)$/, (_m, k) =>
            k === "container" ? ".service" : `-${k}.service`,
          ),
        ),
      ).toBe(true);
    figures[`quadlet${user ? "Rootless" : "Rootful"}`] = `${services.size}/${sp.files.length} units accepted`;
    figures.containerUnits = containerUnits.length;
    figures[`gapsReported${user ? "Rootless" : "Rootful"}`] = sp.gaps.map((g) => `${g.object}:${g.option}`);
    expect(services.get("shop-web-1.service")).toContain("WantedBy=");
    expect(services.get("jupyter-alice.service")).not.toContain("WantedBy=");
  });

  it("commands run in the root (chroot) get podlift's TMPDIR only where the root has that folder", async () => {
    const host = new LiveHost(root);
    const tmpdir = () => host.run(["/bin/sh", "-c", `echo "\${TMPDIR-unset}"`]).then((r) => r.stdout.trim());
    const before = process.env.TMPDIR;
    try {
      process.env.TMPDIR = "/nonexistent/podlift-tmp";
      expect(existsSync(path.join(root, process.env.TMPDIR))).toBe(false);
      expect(await tmpdir()).toBe("unset");
      process.env.TMPDIR = "/var/tmp";
      expect(await tmpdir()).toBe("/var/tmp");
      expect((await host.run(["/bin/sh", "-c", "echo $TMPDIR"], { env: { TMPDIR: "/x" } })).stdout).toBe(
        "/x\n",
      );
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  it("really creates every container from the generated ExecStart lines (Podman 5 in the root)", async () => {
    const sp = planServices(inv, PODMAN5, { user: null });
    const r = quadletDryRun(root, sp.files);
    const services = generated(r.stdout);
    const images = [...new Set(inv.services.map((s) => s.image))];
    prepareRoot();
    const result = await withMounts(root, () => {
      const out = createFromExecStarts(
        services,
        images,
        "/tmp/empty.tar",
        chrootPodman,
        "/var/tmp/podlift-st/t",
        (p) => existsSync(inRoot(p)),
      );
      return {
        ...out,
        db: inspectEnv("shop-db-1"),
        lab: inspectEnv("lab-notebook-1"),
        web: inspectEnv("shop-web-1"),
      };
    });
    figures.createdFromQuadlet = `${result.created.length}/${sp.services.length}`;
    figures.createFailures = result.failed;
    // The sidecar names Docker's container namespace: a gap, so its unit has no such option and is created alone.
    expect(result.failed).toEqual([]);
    expect(result.created.length).toBe(sp.services.length);
    // Values with $, % and quotes arrive byte for byte through Quadlet, systemd escaping and podman.
    expect(result.db).toContain('POSTGRES_PASSWORD=s3cr$HOME %h "q"');
    expect(result.lab).toContain("GREETING=100% ready, cost $5");
    expect(result.web).toContain("PRICE_FORMAT=$%.2f");
  });

  it("creates the same containers from podman generate systemd-style services (for Podman < 4.4)", async () => {
    const sp = planServices(inv, { podmanVersion: "4.3.1", systemd: true, quadlet: false }, { user: null });
    expect(sp.mode).toBe("service");
    const units = new Map(sp.files.map((f) => [f.name, f.content]));
    const images = [...new Set(inv.services.map((s) => s.image))];
    prepareRoot();
    const result = await withMounts(root, () => ({
      ...createFromExecStarts(units, images, "/tmp/empty.tar", chrootPodman, "/var/tmp/podlift-st/t", (p) =>
        existsSync(inRoot(p)),
      ),
      db: inspectEnv("shop-db-1"),
    }));
    figures.createdFromServices = `${result.created.length}/${sp.services.length}`;
    expect(result.failed).toEqual([]);
    expect(result.created.length).toBe(sp.services.length);
    expect(result.db).toContain('POSTGRES_PASSWORD=s3cr$HOME %h "q"');
  });

  it.skipIf(liveUnavailable(["podman"]))(
    "creates them with this host's Podman too, the version these services are for",
    () => {
      const sp = planServices(inv, { podmanVersion: "4.3.1", systemd: true, quadlet: false }, { user: null });
      const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-services-podman-"));
      try {
        mkdirSync(path.join(dir, "t"));
        const podman = hostPodman(dir);
        const version = podman(["--version"]).stdout.trim();
        const tar = path.join(dir, "empty.tar");
        writeFileSync(tar, Buffer.alloc(1024));
        const images = [...new Set(inv.services.map((s) => s.image))];
        // Bind sources that are not on this host (the Docker socket) are not made here: skipped.
        const result = createFromExecStarts(
          new Map(sp.files.map((f) => [f.name, f.content])),
          images,
          tar,
          podman,
          path.join(dir, "t"),
          existsSync,
        );
        figures.createdWithHostPodman = `${result.created.length}/${sp.services.length} (${version}); skipped: ${result.skipped.join("; ") || "none"}`;
        expect(result.failed).toEqual([]);
        expect(result.created.length + result.skipped.length).toBe(sp.services.length);
        podman(["rm", "-af"]);
      } finally {
        spawnSync("umount", ["-R", "-l", path.join(dir, "storage")]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(liveUnavailable(["podman"]))(
    "runs every command of the no-systemd script with this host's Podman",
    () => {
      const sp = planServices(
        inv,
        { podmanVersion: "4.3.1", systemd: false, quadlet: false },
        { user: null },
      );
      expect(sp.mode).toBe("commands");
      const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-services-podman-"));
      try {
        const podman = hostPodman(dir);
        const tar = path.join(dir, "empty.tar");
        writeFileSync(tar, Buffer.alloc(1024));
        for (const image of new Set(inv.services.map((s) => s.image)))
          podman(["import", "-q", "--change", 'CMD ["/bin/app"]', tar, image]);
        const failed: string[] = [];
        let created = 0;
        for (const argv of sp.commands) {
          const bind = argv.flatMap((a, i) =>
            argv[i - 1] === "-v" && a.startsWith("/") ? [a.split(":")[0]] : [],
          );
          if (bind.some((b) => !existsSync(b as string))) continue; // the Docker socket: not on this host
          const r = podman(argv.slice(1));
          if (r.status !== 0)
            failed.push(`${argv.slice(0, 4).join(" ")}: ${r.stderr.trim().split("\n").pop()}`);
          else if (argv[1] === "create") created++;
        }
        figures.createdFromCommands = `${created}/${sp.services.length} (${sp.commands.length} commands)`;
        expect(failed).toEqual([]);
        expect(created).toBe(sp.services.length - 1);
        podman(["rm", "-af"]);
      } finally {
        spawnSync("umount", ["-R", "-l", path.join(dir, "storage")]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("turns every compose fixture into units the generator accepts", async () => {
    const accepted: Record<string, string> = {};
    for (const project of readdirSync(FIXTURES)) {
      const loaded = await loadProject(path.join(FIXTURES, project, "compose.yaml"), {});
      const sp = planServices(servicesFromCompose(loaded), PODMAN5, { user: null });
      const r = quadletDryRun(root, sp.files);
      expect(warnings(r.stderr), project).toEqual([]);
      expect(r.status, project).toBe(0);
      accepted[project] = `${generated(r.stdout).size}/${sp.files.length}`;
    }
    figures.composeFixtures = accepted;
  });

  it("writes units into the root with --root, the generator reads them there, podlift undo removes them", async () => {
    const dest = path.join(root, "srv/shop");
    rmSync(dest, { recursive: true, force: true });
    cpSync(path.join(FIXTURES, "webapp"), dest, { recursive: true });
    const hadState = existsSync(path.join(root, "var/lib/podlift"));
    try {
      const run = await cli([
        "migrate",
        "services",
        "--compose",
        "/srv/shop/compose.yaml",
        "--root",
        root,
        "--as",
        "quadlet",
        "--yes",
      ]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(existsSync(path.join(root, "etc/containers/systemd/shop-web-1.container"))).toBe(true);
      const r = spawnSync("chroot", [root, "/usr/libexec/podman/quadlet", "-dryrun"], {
        encoding: "utf8",
        timeout: 60000,
      });
      expect(warnings(r.stderr)).toEqual([]);
      expect(r.stdout).toContain("---shop-web-1.service---");
      const undo = await cli(["undo", "--root", root]);
      expect(undo.code).toBe(0);
      expect(existsSync(path.join(root, "etc/containers/systemd/shop-web-1.container"))).toBe(false);
    } finally {
      rmSync(dest, { recursive: true, force: true });
      const units = path.join(root, "etc/containers/systemd");
      for (const f of existsSync(units) ? readdirSync(units) : [])
        if (f.startsWith("shop")) rmSync(path.join(units, f), { force: true });
      if (!hadState) rmSync(path.join(root, "var/lib/podlift"), { recursive: true, force: true });
    }
  });

  it("writes a rootless user's units in the root owned by that user, folders too, and undo removes them all", async () => {
    const dest = path.join(root, "srv/shop");
    rmSync(dest, { recursive: true, force: true });
    cpSync(path.join(FIXTURES, "webapp"), dest, { recursive: true });
    const hadState = existsSync(path.join(root, "var/lib/podlift"));
    const user = "podlift-svc";
    spawnSync("chroot", [root, "userdel", "-r", user], { stdio: "ignore" });
    expect(spawnSync("chroot", [root, "useradd", "-m", "-u", "4242", user]).status).toBe(0);
    try {
      const home = path.join(root, "home", user);
      const run = await cli([
        "migrate",
        "services",
        "--compose",
        "/srv/shop/compose.yaml",
        "--root",
        root,
        "--user",
        user,
        "--as",
        "quadlet",
        "--yes",
      ]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      // Owned by the user, folders included: root-made ones would lock them out of ~/.config.
      for (const p of [
        ".config",
        ".config/containers/systemd",
        ".config/containers/systemd/shop-web-1.container",
      ])
        expect(statSync(path.join(home, p)).uid, p).toBe(4242);
      const r = quadletDryRun(
        root,
        readdirSync(path.join(home, ".config/containers/systemd")).map((name) => ({
          name,
          content: readFileSync(path.join(home, ".config/containers/systemd", name), "utf8"),
        })),
        true,
      );
      expect(warnings(r.stderr)).toEqual([]);
      expect(r.stdout).toContain("WantedBy=default.target");
      const undo = await cli(["undo", "--root", root]);
      expect(undo.code).toBe(0);
      expect(existsSync(path.join(home, ".config"))).toBe(false);
    } finally {
      spawnSync("chroot", [root, "userdel", "-r", user], { stdio: "ignore" });
      rmSync(dest, { recursive: true, force: true });
      if (!hadState) rmSync(path.join(root, "var/lib/podlift"), { recursive: true, force: true });
    }
  });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
