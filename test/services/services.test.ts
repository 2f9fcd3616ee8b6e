// podlift migrate services as a specification: escaping, the choice of unit kind, compose and
// Docker inspect data to services, the files, the plan, apply and undo, the command line.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadProject } from "../../src/compose/project.js";
import { undoRun } from "../../src/fix/session.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { applyServicePlan } from "../../src/services/apply.js";
import { servicesFromCompose, shellWords } from "../../src/services/compose-source.js";
import { type DockerInspect, serviceFromInspect } from "../../src/services/docker-source.js";
import type { Gap } from "../../src/services/model.js";
import { chooseMode, planServices, toFixPlan } from "../../src/services/plan.js";
import { unitWord } from "../../src/services/unit-text.js";
import { tempHost } from "../helpers.js";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "services");
const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const QUADLET = { podmanVersion: "5.4.2", systemd: true, quadlet: true };
const ALICE = { name: "alice", uid: 1000, gid: 1000, home: "/home/alice", shell: "/bin/bash" };

const project = async (name: string) =>
  servicesFromCompose(await loadProject(path.join(FIXTURES, name, "compose.yaml"), {}));

describe("unit values", () => {
  it.each([
    ["plain", "plain", "plain"],
    ["two words", '"two words"', '"two words"'],
    ['say "hi"', '"say \\"hi\\""', '"say \\"hi\\""'],
    ["100%", '"100%%"', '"100%%"'],
    ["$HOME", '"$HOME"', '"$$HOME"'],
    ["a\\b", '"a\\\\b"', '"a\\\\b"'],
    ["", '""', '""'],
  ])("%j is written %s, and %s in an Exec line", (word, plain, exec) => {
    expect(unitWord(word)).toBe(plain);
    expect(unitWord(word, true)).toBe(exec);
  });
});

describe("the kind of unit", () => {
  it.each([
    [{ podmanVersion: "5.4.2", systemd: true, quadlet: true }, "quadlet"],
    [{ podmanVersion: "4.4.0", systemd: true, quadlet: false }, "quadlet"],
    [{ podmanVersion: "4.3.1", systemd: true, quadlet: false }, "service"],
    [{ podmanVersion: "5.4.2", systemd: false, quadlet: true }, "commands"],
  ])("%j → %s", (facts, mode) => {
    expect(chooseMode(facts).mode).toBe(mode);
  });

  it("says why it chose commands", () => {
    expect(chooseMode({ podmanVersion: "4.3.1", systemd: false, quadlet: false }).why).toContain(
      "systemd does not run this host",
    );
  });
});

describe("compose projects", () => {
  it("names containers, volumes and networks as Compose does, and carries dependencies", async () => {
    const inv = await project("webapp");
    expect(inv.services.map((s) => s.name)).toEqual(["shop-web-1", "shop-db-1", "shop-cache-1"]);
    expect(inv.volumes.map((v) => v.name).sort()).toEqual(["shop_media", "shop_pgdata", "shop_redis"]);
    expect(inv.networks.find((n) => n.name === "shop_backend")).toEqual({
      name: "shop_backend",
      subnets: [{ subnet: "172.28.0.0/24", gateway: "172.28.0.1" }],
      internal: true,
      ipv6: false,
      labels: [],
    });
    const web = inv.services[0];
    expect(web?.dependsOn).toEqual(["shop-db-1", "shop-cache-1"]);
    expect(web?.envFiles).toEqual([path.join(FIXTURES, "webapp/.env.web")]);
    expect(web?.env).toContainEqual(["PRICE_FORMAT", "$%.2f"]);
  });

  it("references env files with EnvironmentFile= and never copies their values", async () => {
    const sp = planServices(await project("webapp"), QUADLET, { user: null });
    const web = sp.files.find((f) => f.name === "shop-web-1.container")?.content ?? "";
    expect(web).toContain(`EnvironmentFile=${path.join(FIXTURES, "webapp/.env.web")}`);
    expect(web).not.toContain("from-env-file");
  });

  it("reports what units cannot say, each with its reason", async () => {
    const plan = async (name: string) => planServices(await project(name), QUADLET, { user: null }).gaps;
    const gaps = (await plan("proxy")).concat(await plan("gpu-notebook"));
    const by = (g: Gap) => `${g.object}:${g.option}`;
    expect(gaps.map(by).sort()).toEqual([
      "edge-proxy-1:logging",
      "edge-whoami-1:restart",
      "lab-notebook-1:deploy.replicas",
      "lab-notebook-1:restart",
    ]);
    expect(gaps.find((g) => g.option === "deploy.replicas")?.reason).toContain("swarm");
    expect(gaps.find((g) => g.option === "logging")?.reason).toContain("syslog");
  });

  it("turns a GPU reservation into a CDI device and a service network into a shared namespace", async () => {
    const lab = (await project("gpu-notebook")).services[0];
    expect(lab?.cdiDevices).toEqual(["nvidia.com/gpu=all"]);
    const whoami = (await project("proxy")).services.find((s) => s.service === "whoami");
    expect(whoami?.podmanArgs).toEqual(["--network", "container:edge-proxy-1"]);
    expect(whoami?.dependsOn).toEqual(["edge-proxy-1"]);
  });

  it("splits a command string as a shell would, without expanding anything", () => {
    expect(shellWords(`start.sh --token='' --url "/lab x" a\\ b $HOME`)).toEqual([
      "start.sh",
      "--token=",
      "--url",
      "/lab x",
      "a b",
      "$HOME",
    ]);
  });
});

const inspect = (
  over: Partial<DockerInspect> & { HostConfig?: DockerInspect["HostConfig"] },
): DockerInspect => ({
  Id: "0123456789abcdef",
  Name: "/app",
  Image: "sha256:1",
  Config: {
    Image: "localhost/app:1",
    Env: ["PATH=/usr/bin", "MODE=prod"],
    Cmd: ["/bin/app"],
    Hostname: "0123456789ab",
  },
  HostConfig: {},
  ...over,
});

describe("Docker containers", () => {
  const image = { Config: { Env: ["PATH=/usr/bin"], Cmd: ["/bin/app"] } };

  it("writes only what the container changes from its image", () => {
    const s = serviceFromInspect(inspect({}), image, []);
    expect(s.env).toEqual([["MODE", "prod"]]);
    expect(s.command).toBeUndefined();
    expect(s.hostname).toBeUndefined();
  });

  it("maps GPU requests to CDI devices and healthchecks to podman durations", () => {
    const s = serviceFromInspect(
      inspect({
        Config: {
          Image: "x",
          Healthcheck: {
            Test: ["CMD-SHELL", "curl -f localhost"],
            Interval: 30e9,
            Timeout: 1.5e9,
            Retries: 3,
          },
        },
        HostConfig: { DeviceRequests: [{ Driver: "nvidia", Count: 2, Capabilities: [["gpu"]] }] },
      }),
      null,
      [],
    );
    expect(s.cdiDevices).toEqual(["nvidia.com/gpu=0", "nvidia.com/gpu=1"]);
    expect(s.health).toEqual({ test: "curl -f localhost", interval: "30s", timeout: "1500ms", retries: 3 });
  });

  it("reports a legacy link and a shared Docker network namespace, and still orders the link", () => {
    const gaps: Gap[] = [];
    const s = serviceFromInspect(
      inspect({
        HostConfig: {
          Links: ["/db:/app/database"],
          NetworkMode: "container:abc",
          LogConfig: { Type: "gelf" },
        },
      }),
      image,
      gaps,
    );
    expect(s.dependsOn).toEqual(["db"]);
    expect(gaps.map((g) => g.option)).toEqual(["network_mode", "links", "log_driver"]);
    expect(gaps[1]?.reason).toContain("database");
  });
});

describe("files", () => {
  it("writes podman generate systemd --new style services where Quadlet is missing", async () => {
    const sp = planServices(
      await project("webapp"),
      { podmanVersion: "4.3.1", systemd: true, quadlet: false },
      { user: null },
    );
    const db = sp.files.find((f) => f.name === "container-shop-db-1.service");
    expect(db?.path).toBe("/etc/systemd/system/container-shop-db-1.service");
    const text = db?.content ?? "";
    for (const line of [
      "ExecStartPre=/bin/rm -f %t/%n.ctr-id",
      "Type=notify",
      "NotifyAccess=all",
      "WantedBy=multi-user.target",
      "ExecStop=/usr/bin/podman stop --ignore -t 10 --cidfile=%t/%n.ctr-id",
    ])
      expect(text).toContain(line);
    expect(text).toMatch(
      /^ExecStart=\/usr\/bin\/podman run --cidfile=%t\/%n.ctr-id --cgroups=no-conmon --rm --sdnotify=conmon -d --replace --name shop-db-1 /m,
    );
    expect(text).toContain("ExecStartPre=-/usr/bin/podman network create --subnet 172.28.0.0/24");
  });

  it("writes rootless Quadlet units under the user's home, for default.target", async () => {
    const sp = planServices(await project("webapp"), QUADLET, { user: ALICE });
    expect(sp.dir).toBe("/home/alice/.config/containers/systemd");
    expect(sp.files.find((f) => f.name === "shop-db-1.container")?.content).toContain(
      "WantedBy=default.target",
    );
  });

  it("writes shell-quoted podman commands where systemd does not run", async () => {
    const sp = planServices(
      await project("gpu-notebook"),
      { podmanVersion: "4.3.1", systemd: false, quadlet: false },
      { user: null },
    );
    expect(sp.mode).toBe("commands");
    const script = sp.files[0]?.content ?? "";
    expect(script).toContain("podman start --all --filter restart-policy=always");
    expect(script).toContain("-e 'GREETING=100% ready, cost $5'");
    expect(script).toContain("--device nvidia.com/gpu=all");
  });

  it("says that a mounted Docker socket and a rootless port below 1024 need a decision", async () => {
    const hub = planServices(await project("jupyterhub"), QUADLET, { user: ALICE });
    expect(hub.gaps.find((g) => g.value === "/var/run/docker.sock")?.reason).toContain(
      "/run/user/1000/podman/podman.sock",
    );
    const edge = planServices(await project("proxy"), QUADLET, { user: ALICE });
    expect(edge.gaps.filter((g) => g.option === "ports").map((g) => g.value)).toEqual(["80", "443", "443"]);
    const rootful = planServices(await project("proxy"), QUADLET, { user: null });
    expect(rootful.gaps.filter((g) => g.option === "ports")).toEqual([]);
  });

  it("keeps a retry count where podman runs the restart policy itself, and no alias in another's namespace", async () => {
    const sp = planServices(
      await project("proxy"),
      { podmanVersion: "4.3.1", systemd: false, quadlet: false },
      { user: null },
    );
    expect(sp.gaps.filter((g) => g.option === "restart")).toEqual([]);
    expect(sp.files[0]?.content).toContain(
      "podman create --name edge-whoami-1 --restart on-failure:5 --network container:edge-proxy-1 localhost/whoami:1",
    );
  });

  it("leaves out host-gateway for Podman before 5, which refuses it, and says so", async () => {
    const old = planServices(
      await project("proxy"),
      { podmanVersion: "4.3.1", systemd: true, quadlet: false },
      { user: null },
    );
    expect(old.services[0]?.podmanArgs).not.toContain("--add-host");
    expect(old.gaps.find((g) => g.option === "extra_hosts")?.value).toBe("host.docker.internal:host-gateway");
    const current = planServices(await project("proxy"), QUADLET, { user: null });
    expect(current.services[0]?.podmanArgs).toContain("host.docker.internal:host-gateway");
  });

  it("leaves out a service whose value would break a unit line, saying so", async () => {
    const inv = await project("webapp");
    inv.services[2]?.env.push(["BAD", "line\nbreak"]);
    const sp = planServices(inv, QUADLET, { user: null });
    expect(sp.services.map((s) => s.name)).not.toContain("shop-cache-1");
    expect(sp.gaps.find((g) => g.object === "shop-cache-1")?.reason).toContain("line break");
  });
});

describe("the plan, apply and undo", () => {
  it("plans one write per file, owned by the rootless user, and systemctl only with --enable", async () => {
    const host = new FixtureHost(tempHost({ "etc/passwd": "root:x:0:0::/root:/bin/sh\n" }));
    const sp = planServices(await project("webapp"), QUADLET, { user: ALICE });
    const plain = await toFixPlan(host, sp, { user: ALICE }, false);
    // The missing folders first, owned by alice (root-owned ones in her home would lock her out).
    expect(plain.changes[0]).toMatchObject({
      kind: "command",
      argv: [
        "install",
        "-d",
        "-o",
        "1000",
        "-g",
        "1000",
        "-m",
        "0755",
        "/home/alice/.config",
        "/home/alice/.config/containers",
        "/home/alice/.config/containers/systemd",
      ],
      undo: [
        "rmdir",
        "--ignore-fail-on-non-empty",
        "/home/alice/.config/containers/systemd",
        "/home/alice/.config/containers",
        "/home/alice/.config",
      ],
    });
    expect(plain.changes.slice(1).every((c) => c.kind === "write-file")).toBe(true);
    expect(plain.changes[1]).toMatchObject({ owner: { uid: 1000, gid: 1000 }, before: null });
    const enabled = await toFixPlan(host, sp, { user: ALICE }, true);
    const commands = enabled.changes
      .filter((c) => c.kind === "command" && c.argv[0] === "systemctl")
      .map((c) => (c.kind === "command" ? c.argv : []));
    expect(commands[0]).toEqual(["systemctl", "--user", "-M", "alice@", "daemon-reload"]);
    expect(commands[1]?.slice(0, 5)).toEqual(["systemctl", "--user", "-M", "alice@", "start"]);
  });

  it("writes every unit atomically through the journal, and podlift undo removes them again", async () => {
    const root = tempHost({ "etc/passwd": "root:x:0:0::/root:/bin/sh\n" });
    const host = new FixtureHost(root, {
      user: { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/sh" },
    });
    const sp = planServices(await project("webapp"), QUADLET, { user: null });
    const outcome = await applyServicePlan(host, await toFixPlan(host, sp, { user: null }, false));
    expect(outcome.status).toBe("applied");
    const unit = path.join(root, "etc/containers/systemd/shop-web-1.container");
    expect(readFileSync(unit, "utf8")).toBe(sp.files.find((f) => f.name === "shop-web-1.container")?.content);
    const undone = await undoRun(host, outcome.runId, false);
    expect(undone.problems).toEqual([]);
    expect(existsSync(unit)).toBe(false);
    expect(existsSync(path.join(root, "etc/containers"))).toBe(false);
  });
});

function podlift(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 60000, env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe("podlift migrate services", () => {
  const compose = path.join(FIXTURES, "webapp", "compose.yaml");

  it("shows every file with --dry-run and writes nothing", async () => {
    const r = await podlift(["migrate", "services", "--compose", compose, "--as", "quadlet", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--- /etc/containers/systemd/shop-web-1.container (mode 0600)");
    expect(r.stdout).toContain("Not expressible in Podman units (2):");
    expect(existsSync("/etc/containers/systemd/shop-web-1.container")).toBe(false);
  });

  it.each([
    [["--compose", compose, "shop-web-1"], "name containers or give --compose, not both"],
    [["--compose", "/nonexistent/compose.yaml"], "cannot read"],
    [["--compose", compose, "--user", "no-such-user-here"], 'unknown user "no-such-user-here"'],
    [["--as", "kubernetes"], "argument 'kubernetes' is invalid"],
  ])("exits 2 with one line for %j", async (args, message) => {
    const r = await podlift(["migrate", "services", ...args, "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("says in one line when no Docker engine answers", async () => {
    const r = await podlift(["migrate", "services", "--dry-run"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^podlift: no Docker engine answers at unix:\/\/\/nonexistent\/docker.sock/,
    );
  });

  it("escapes control characters from a compose file when printing", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-services-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      path.join(dir, "compose.yaml"),
      'services:\n  app:\n    image: "x"\n    environment:\n      T: "a\\u001b]0;pwned\\u0007b"\n',
    );
    const r = await podlift([
      "migrate",
      "services",
      "--compose",
      path.join(dir, "compose.yaml"),
      "--dry-run",
    ]);
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).toContain("not converted");
  });
});
