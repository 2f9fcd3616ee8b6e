// Issue 10: compose check / fix must never relabel system folders or homes, never send a locally
// built image to docker.io, write only through the fix engine inside --root, and read bounded,
// linear. Every tree here is built by the test in a temp folder.
import { execFile, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fix as labelsFix } from "../../fixes/selinux-compose-labels.js";
import { parseCompose } from "../../src/compose/info.js";
import { loadProject, parseProject } from "../../src/compose/project.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { localOnlyImages } from "../../src/compose-check/facts.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import type { HostContext } from "../../src/compose-check/types.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { bindSourceOnHost, knownHomes, refusesRelabel } from "../../src/host/selinux-paths.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const HOSTS = path.join(import.meta.dirname, "..", "fixtures", "hosts");
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "podlift-compose-safety-"));
  made.push(root);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), content);
  }
  return root;
}

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, CI: "true", ...env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

const ENFORCING: HostContext = {
  rootless: false,
  userName: "root",
  uid: 0,
  portStart: 1024,
  selinuxEnforcing: true,
  cdiDevices: [],
  home: "/home/dev",
  homes: ["/root", "/home/dev", "/srv/git", "/nonexistent"],
};

describe("one rule for what may be relabelled (:z)", () => {
  it("refuses system folders, homes and what holds a home; allows an app's own folders", () => {
    const homes = ENFORCING.homes;
    for (const p of [
      "/",
      "/etc",
      "/etc/nginx",
      "/usr",
      "/usr/share/nginx/html",
      "/var",
      "/var/",
      "/root",
      "/run",
      "/home",
      "/home/",
      "/home/dev",
      "/home/someone-not-in-passwd",
      "/home/dev/.ssh",
      "/run/user/1000",
      "/srv", // holds /srv/git, a home from passwd
      "/srv/git",
      "/var/lib",
      "relative/path",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
      "/data/${UNSET}",
    ])
      expect([p, refusesRelabel(p, homes)]).toEqual([p, true]);
    for (const p of [
      "/home/dev/app",
      "/home/dev/app/data",
      "/srv/app",
      "/opt/app/data",
      "/var/lib/app",
      "/tmp/x",
    ])
      expect([p, refusesRelabel(p, homes)]).toEqual([p, false]);
  });

  it("resolves bind sources as the host sees them: ~, ., .., relative to the compose file", () => {
    expect(bindSourceOnHost("~", "/home/dev/app", "/home/dev")).toBe("/home/dev");
    expect(bindSourceOnHost("~/data", "/srv/app", "/home/dev")).toBe("/home/dev/data");
    expect(bindSourceOnHost(".", "/home/dev", "/home/dev")).toBe("/home/dev");
    expect(bindSourceOnHost("..", "/home/dev/app", "/home/dev")).toBe("/home/dev");
    expect(bindSourceOnHost("./data", "/home/dev/app", "/home/dev")).toBe("/home/dev/app/data");
    expect(refusesRelabel(bindSourceOnHost("~", "/srv/app", undefined))).toBe(true);
    expect(refusesRelabel(bindSourceOnHost("~bob/x", "/srv/app", "/home/dev"))).toBe(true);
  });

  it("knows homes from /etc/passwd and from the folders in /home", async () => {
    const root = tree({
      "etc/passwd": "root:x:0:0:root:/root:/bin/bash\ngit:x:998:998::/srv/git:/bin/sh\n",
      "home/ghost/.keep": "",
      "podlift-fixture.json": "{}",
    });
    const homes = await knownHomes(new FixtureHost(root));
    expect(homes.sort()).toEqual(["/home/ghost", "/root", "/srv/git"]);
  });

  const COMPOSE = [
    "services:",
    "  app:",
    "    image: docker.io/library/busybox:1",
    "    volumes:",
    "      - /home:/h",
    "      - /home/dev:/dev-home",
    "      - /etc:/host-etc",
    "      - ~:/me",
    "      - .:/project",
    "      - ./data:/data",
    "      - /srv:/srv",
    "",
  ].join("\n");

  it("compose check: a distinct finding that says why no :z is offered; compose fix edits only ./data", () => {
    // The project sits right in dev's home: "." is the home itself.
    const loaded = parseProject("/home/dev/compose.yaml", COMPOSE, "", {});
    const findings = checkProject(loaded, ENFORCING);
    expect(findings.map((f) => `${f.at.line}:${f.code}`)).toEqual([
      "5:compose.bind-system-folder",
      "6:compose.bind-system-folder",
      "7:compose.bind-system-folder",
      "8:compose.bind-system-folder",
      "9:compose.bind-system-folder",
      "10:compose.bind-unlabeled",
      "11:compose.bind-system-folder",
    ]);
    expect(findings[0]?.message).toContain(
      "no :z offered: /home is a system folder or home; relabelling it can lock users out",
    );
    expect(findings[0]?.remedy).toContain("Bind a subfolder");
    expect(findings[3]?.message).toContain("no :z offered: /home/dev is a system folder or home");
    const edited = editCompose(COMPOSE, findings, ENFORCING, new Map());
    expect(edited.text.split("\n").filter((l) => l.includes(":z"))).toEqual(["      - ./data:/data:z"]);
  });

  it("the selinux-compose-labels fix refuses exactly the same folders", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-compose-safety-fix-"));
    made.push(root);
    cpSync(path.join(HOSTS, "rhel-9-selinux"), root, { recursive: true });
    mkdirSync(path.join(root, "home/dev"), { recursive: true });
    writeFileSync(path.join(root, "home/dev/compose.yaml"), COMPOSE);
    const host = new FixtureHost(root);
    const compose = parseCompose(COMPOSE, "/home/dev/compose.yaml");
    const facts = await gatherFacts(host, { compose });
    const plan = await labelsFix.plan({ host, facts }, []);
    if (typeof plan === "string") throw new Error(plan);
    const after = plan.changes[0]?.kind === "write-file" ? String(plan.changes[0].after) : "";
    expect(after.split("\n").filter((l) => l.includes(":z"))).toEqual(["      - ./data:/data:z"]);
    const refused = plan.notes?.filter((n) => n.includes("no :z offered")) ?? [];
    expect(refused).toHaveLength(6);
    expect(refused[0]).toContain("is a system folder or home; relabelling it can lock users out");
  });
});

describe("images a service builds, and images only Docker has", () => {
  const COMPOSE = [
    "services:",
    "  web:",
    "    build: .",
    "    image: myapp",
    "  worker:",
    "    image: worker:2",
    "  cache:",
    "    image: redis:7",
    "",
  ].join("\n");

  it("a built image gets no finding; a local-only image a distinct one, never a docker.io edit", () => {
    const loaded = parseProject("/srv/app/compose.yaml", COMPOSE, "", {});
    const local = localOnlyImages([
      { RepoTags: ["myapp:latest"], RepoDigests: [] },
      { RepoTags: ["worker:2"], RepoDigests: [] },
      // Pulled from Docker Hub, and tagged here under a name of its own.
      { RepoTags: ["redis:7", "mycache:1"], RepoDigests: ["redis@sha256:0123"] },
    ]);
    expect([...local].sort()).toEqual(["myapp:latest", "mycache:1", "worker:2"]);
    const host = { ...ENFORCING, localImages: local };
    const findings = checkProject(loaded, host);
    expect(findings.map((f) => `${f.at.line}:${f.code}`)).toEqual([
      "6:compose.local-image",
      "8:compose.short-image",
    ]);
    expect(findings[0]?.remedy).toContain("podman load");
    expect(findings[0]?.remedy).toContain("localhost/worker:2");
    const edited = editCompose(COMPOSE, findings, host, new Map());
    expect(edited.text).not.toContain("docker.io/library/worker");
    expect(edited.text).not.toContain("docker.io/library/myapp");
    expect(edited.text).toContain("    image: docker.io/library/redis:7");
    // No engine: local images are unknown, so worker is an ordinary short name.
    const without = checkProject(loaded, ENFORCING).map((f) => f.code);
    expect(without).toEqual(["compose.short-image", "compose.short-image"]);
  });

  it("compose check asks a Docker engine that answers (a fake one on a unix socket)", async () => {
    const dir = tree({ "compose.yaml": COMPOSE });
    const socket = path.join(dir, "docker.sock");
    const asked: string[] = [];
    const server = http.createServer((req, res) => {
      asked.push(req.url ?? "");
      const url = (req.url ?? "").replace(/^\/v[\d.]+/, "").split("?")[0];
      const body =
        url === "/version"
          ? { Version: "27.0.0", ApiVersion: "1.46" }
          : url === "/volumes"
            ? { Volumes: [] }
            : url === "/images/json"
              ? [
                  { RepoTags: ["worker:2"], RepoDigests: [] },
                  { RepoTags: ["redis:7"], RepoDigests: ["redis@sha256:0123"] },
                ]
              : null;
      res.writeHead(body === null ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(body ?? { message: "not here" }));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const r = await run(dir, ["compose", "check", "--format", "json"], { DOCKER_HOST: `unix://${socket}` });
      const codes = JSON.parse(r.stdout).findings.map(
        (f: { code: string; service: string }) => `${f.service}:${f.code}`,
      );
      expect(codes).toEqual(["worker:compose.local-image", "cache:compose.short-image"]);
      expect(asked.some((u) => u.includes("/images/json"))).toBe(true);
      const dry = await run(dir, ["compose", "fix", "--dry-run"], { DOCKER_HOST: `unix://${socket}` });
      expect(dry.stdout).toContain("+    image: docker.io/library/redis:7");
      expect(dry.stdout).not.toContain("docker.io/library/worker");
      expect(dry.stdout).not.toContain("docker.io/library/myapp");
    } finally {
      server.close();
    }
  });
});

describe("compose fix writes only through the fix engine, inside --root", () => {
  it("a host path under --root: the root's file is edited and journalled there; the live one is not touched", async () => {
    const compose = "services:\n  web:\n    image: nginx:1.27 # the site\n";
    // The same absolute path on this machine and inside the root, with the same content.
    const live = tree({ "compose.yaml": compose });
    const root = tree({ [`${live.slice(1)}/compose.yaml`]: compose, "sys/fs/selinux/enforce": "0\n" });
    const elsewhere = tree({});
    const inRoot = path.join(root, live, "compose.yaml");
    const r = await run(elsewhere, [
      "compose",
      "fix",
      path.join(live, "compose.yaml"),
      "--root",
      root,
      "--yes",
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("✔ compose-edits: applied and verified");
    expect(readFileSync(inRoot, "utf8")).toBe(
      "services:\n  web:\n    image: docker.io/library/nginx:1.27 # the site\n",
    );
    expect(readFileSync(path.join(live, "compose.yaml"), "utf8")).toBe(compose);
    // The journal is the root's: podlift undo --root finds it and puts the file back.
    const runId = /podlift undo --run (\S+) --root/.exec(r.stdout)?.[1] as string;
    expect(runId).toBeTruthy();
    const undo = await run(elsewhere, ["undo", "--run", runId, "--root", root]);
    expect(undo.code).toBe(0);
    expect(readFileSync(inRoot, "utf8")).toBe(compose);
  });

  it("standing inside the root, the file found there is the one edited", async () => {
    const root = tree({
      "srv/app/compose.yaml": "services:\n  web:\n    image: nginx:1.27\n",
      "sys/fs/selinux/enforce": "0\n",
    });
    const r = await run(path.join(root, "srv/app"), ["compose", "fix", "--root", root, "--yes"]);
    expect(r.stdout).toContain("Edit /srv/app/compose.yaml for Podman");
    expect(readFileSync(path.join(root, "srv/app/compose.yaml"), "utf8")).toContain(
      "docker.io/library/nginx",
    );
    const check = await run(path.join(root, "srv/app"), [
      "compose",
      "check",
      "--root",
      root,
      "--format",
      "json",
    ]);
    expect(JSON.parse(check.stdout)).toMatchObject({ file: "/srv/app/compose.yaml", findings: [] });
  });

  it("a path missing inside the root is a usage error, even when it exists on this machine", async () => {
    const live = tree({ "compose.yaml": "services:\n  web:\n    image: nginx\n" });
    const root = tree({ "etc/hostname": "fixture\n" });
    const r = await run(live, ["compose", "check", path.join(live, "compose.yaml"), "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such file");
  });
});

describe("bounded, linear reading", () => {
  it("a compose file past 4 MiB is a usage error naming both sizes, with no stack trace", async () => {
    const dir = tree({});
    writeFileSync(path.join(dir, "compose.yaml"), Buffer.alloc(10485760, "#"));
    for (const command of ["check", "fix"]) {
      const r = await run(dir, ["compose", command]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `podlift: ${path.join(dir, "compose.yaml")} is 10485760 bytes; podlift reads compose files up to 4194304 bytes\n`,
      );
    }
  });

  it.skipIf(process.platform !== "linux")(
    "a FIFO or a folder named compose.yaml is a usage error, never a hang",
    async () => {
      const dir = tree({});
      execFileSync("mkfifo", [path.join(dir, "compose.yaml")]);
      const fifo = await run(dir, ["compose", "check"]);
      expect(fifo.code).toBe(2);
      expect(fifo.stderr).toContain("is a FIFO");
      expect(fifo.stderr).not.toMatch(/\n\s+at /);
      const folder = tree({ "compose.yaml/x": "" });
      const r = await run(folder, ["compose", "check", "compose.yaml"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("is a folder");
    },
  );

  it("repeated keys are found in one pass, at the repeated key", async () => {
    const loaded = parseProject(
      "/x/compose.yaml",
      "services:\n  a:\n    image: x\n  a:\n    image: y\n",
      "",
      {},
    );
    expect(loaded.problems).toEqual([
      {
        code: "compose.yaml-invalid",
        status: "fail",
        message: "invalid YAML: Map keys must be unique",
        at: { line: 4, col: 3 },
      },
    ]);
    expect(() => parseCompose("services:\n  a: {}\n  a: {}\n", "c.yaml")).toThrow(
      "c.yaml:3: invalid YAML: Map keys must be unique",
    );
  });

  it("a large project (20k services) loads, checks and edits in one pass each", async () => {
    const parts = ["services:\n"];
    for (let i = 0; i < 20000; i++)
      parts.push(`  app${i}:\n    image: nginx:1.25\n    volumes:\n      - ./d${i}:/data\n`);
    const dir = tree({ "compose.yaml": parts.join("") });
    const started = performance.now();
    const loaded = await loadProject(path.join(dir, "compose.yaml"), {});
    const findings = checkProject(loaded, ENFORCING);
    const edited = editCompose(loaded.text, findings, ENFORCING, new Map());
    const ms = performance.now() - started;
    expect(findings).toHaveLength(40000);
    expect(edited.applied).toHaveLength(40000);
    expect(edited.text.split("\n")[2]).toBe("    image: docker.io/library/nginx:1.25");
    // Generous: the quadratic version took minutes here; linear takes a few seconds.
    expect(ms).toBeLessThan(25000);
    expect(existsSync(path.join(dir, "compose.yaml"))).toBe(true);
  }, 60000);
});
