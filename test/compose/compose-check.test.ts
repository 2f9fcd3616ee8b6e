// podlift compose check on projects shaped like real ones (written for these tests, not copied).
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { interpolate, loadProject, parseEnvFile } from "../../src/compose/project.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import type { HostContext } from "../../src/compose-check/types.js";

const DIR = path.join(import.meta.dirname, "..", "fixtures", "compose");
const ROOTLESS: HostContext = {
  rootless: true,
  userName: "alice",
  uid: 1000,
  portStart: 1024,
  selinuxEnforcing: true,
  cdiDevices: [],
};

async function check(
  project: string,
  file: string,
  host: HostContext = ROOTLESS,
  env: Record<string, string> = {},
) {
  const loaded = await loadProject(path.join(DIR, project, file), env);
  const findings = checkProject(loaded, host);
  return { loaded, findings, codes: findings.map((f) => `${f.at.line}:${f.code}`) };
}

describe("compose check", () => {
  it("JupyterHub with a spawner: the engine socket, DOCKER_HOST, a short image, an external network", async () => {
    const { findings, codes } = await check("jupyterhub", "docker-compose.yml");
    expect(codes).toEqual([
      "4:compose.short-image",
      "8:compose.docker-socket",
      "9:compose.bind-unlabeled",
      "12:compose.docker-host",
      "20:compose.external-network",
    ]);
    expect(findings[1]?.remedy).toContain("/run/user/1000/podman/podman.sock:/var/run/docker.sock:z");
    expect(findings[0]?.remedy).toBe("Write image: docker.io/jupyterhub/jupyterhub:4.1");
  });

  it("a web app with PostgreSQL and Redis: low ports, short images, variables from .env", async () => {
    const { codes, loaded } = await check("webapp", "compose.yaml");
    expect(codes).toEqual([
      "6:compose.privileged-port",
      "7:compose.privileged-port",
      "9:compose.bind-unlabeled",
      "17:compose.short-image",
      "23:compose.short-image",
    ]);
    expect(loaded.project).toBe("shop");
    const web = (loaded.data.services as Record<string, { environment: string[] }>).web;
    expect(web.environment).toEqual([
      "DATABASE_URL=postgres://shop:not-a-real-secret@db:5432/shop",
      "LOG_LEVEL=info",
    ]);
  });

  it("the environment wins over .env, and a required variable that is missing fails with its position", async () => {
    const { loaded } = await check("webapp", "compose.yaml", ROOTLESS, { LOG_LEVEL: "debug" });
    expect((loaded.data.services as Record<string, { environment: string[] }>).web.environment[1]).toBe(
      "LOG_LEVEL=debug",
    );
    const broken = await loadProject(path.join(DIR, "gpu-notebook", "compose.yaml"), {});
    expect(broken.problems).toEqual([]);
    let required: string | null = null;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
    interpolate("${X:?must be set}", {}, (_name, why) => {
      required = why;
    });
    expect(required).toBe("must be set");
  });

  it("a GPU notebook: Docker's GPU requests become CDI devices; fails without a CDI spec", async () => {
    const without = await check("gpu-notebook", "compose.yaml");
    expect(without.codes).toEqual([
      "7:compose.bind-unlabeled",
      "14:compose.gpu-request",
      "19:compose.nvidia-runtime",
      "22:compose.depends-on-condition",
    ]);
    expect(without.findings[1]?.status).toBe("fail");
    const withCdi = await check("gpu-notebook", "compose.yaml", {
      ...ROOTLESS,
      selinuxEnforcing: false,
      cdiDevices: ["nvidia.com/gpu=all", "nvidia.com/gpu=0"],
    });
    expect(withCdi.findings.map((f) => `${f.code}:${f.status}`)).toEqual([
      "compose.gpu-request:warn",
      "compose.nvidia-runtime:warn",
      "compose.depends-on-condition:warn",
    ]);
    // Keyed by the installed podman-compose: Debian 12's 1.0.6 ignores conditions, 1.4 honours them.
    const old = await check("gpu-notebook", "compose.yaml", { ...ROOTLESS, podmanCompose: "1.0.6" });
    expect(old.findings.at(-1)?.message).toContain("podman-compose 1.0.6 starts it without waiting");
    const recent = await check("gpu-notebook", "compose.yaml", { ...ROOTLESS, podmanCompose: "1.4.1" });
    expect(recent.codes).not.toContain("22:compose.depends-on-condition");
  });

  it("host networking, privileged and user: under rootless; rootful sees none of them", async () => {
    const rootless = await check("multi-network", "compose.yaml");
    expect(rootless.codes).toEqual([
      "4:compose.host-network-rootless",
      "7:compose.privileged-rootless",
      "10:compose.user-bind-ownership",
      "11:compose.bind-unlabeled",
      "11:compose.user-bind-ownership",
      "15:compose.external-network",
    ]);
    expect(rootless.findings.at(-1)?.remedy).toContain("podman network create corp-backend");
    const rootful = await check("multi-network", "compose.yaml", {
      ...ROOTLESS,
      rootless: false,
      selinuxEnforcing: false,
    });
    expect(rootful.codes).toEqual(["15:compose.external-network"]);
  });

  it("broken YAML and unset variables are findings with positions, not crashes", async () => {
    const { findings } = await check("broken", "compose.yaml");
    expect(findings[0]).toMatchObject({ code: "compose.yaml-invalid", status: "fail", at: { line: 6 } });
    const fine = await loadProject(path.join(DIR, "jupyterhub", "docker-compose.yml"), {});
    expect(fine.problems).toEqual([]);
  });

  it("unknown keys and unset variables are findings at their positions; x- keys are left alone", async () => {
    const loaded = await loadProject(path.join(DIR, "typos.yaml"), {});
    const found = checkProject(loaded, ROOTLESS).map(
      (f) => `${f.at.line}:${f.code}:${f.message.split(":")[0]}`,
    );
    expect(found).toEqual([
      '4:compose.unknown-key:service key "enviroment" is not in the Compose specification',
      "7:compose.var-missing:variable UNSET_VAR is not set (in the environment or .env)",
      '9:compose.unknown-key:top-level key "volumez" is not in the Compose specification',
    ]);
  });

  it("an environment value that spells out a generated network name", async () => {
    const loaded = await loadProject(path.join(DIR, "jupyterhub-spawner.yaml"), {});
    const found = checkProject(loaded, ROOTLESS);
    expect(found.map((f) => `${f.at.line}:${f.code}`)).toEqual(["6:compose.network-name-assumption"]);
    expect(found[0]?.remedy).toContain("name: hub_spawn");
  });

  it("reads .env files as compose tools do", () => {
    expect(parseEnvFile("# c\nA=1\nexport B = two \nC='x # y'\nD=v # comment\nbad line\n")).toEqual({
      A: "1",
      B: "two",
      C: "x # y",
      D: "v",
    });
    const missing: string[] = [];
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
    expect(interpolate("$$HOME ${U} $V ${W:-d} ${E-}", { E: "" }, (n) => missing.push(n))).toBe("$HOME   d ");
    expect(missing).toEqual(["U", "V"]);
  });
});

describe("podlift compose check (CLI, this machine)", () => {
  const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
  const run = async (args: string[]) => {
    const { execFile } = await import("node:child_process");
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, "compose", "check", ...args], { cwd: DIR }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      ),
    );
  };

  it("reports as JSON with positions; warnings fail only under --fail-on warn", async () => {
    const r = await run(["jupyterhub/docker-compose.yml", "--format", "json"]);
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: { code: string }) => f.code)).toContain("compose.docker-socket");
    expect(r.code).toBe(report.findings.some((f: { status: string }) => f.status === "fail") ? 1 : 0);
    const strict = await run(["jupyterhub/docker-compose.yml", "--fail-on", "warn"]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/docker-compose\.yml:8:\d+ \[hub\] mounts Docker's socket/);
  });

  it("a broken file is a failing finding; no file at all is a usage error", async () => {
    const broken = await run(["broken/compose.yaml"]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("compose.yaml-invalid");
    const none = await run(["no-such-compose.yaml"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("cannot read");
    expect(none.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("podlift compose fix", () => {
  const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
  const run = async (cwd: string, args: string[]) => {
    const { execFile } = await import("node:child_process");
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [BIN, ...args],
        { cwd, env: { ...process.env, CI: "true" } },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      ),
    );
  };
  const copy = async (project: string) => {
    const { cpSync, mkdtempSync } = await import("node:fs");
    const os = await import("node:os");
    const dir = mkdtempSync(path.join(os.tmpdir(), `podlift-compose-${project}-`));
    cpSync(path.join(DIR, project), dir, { recursive: true });
    return dir;
  };

  it.skipIf(process.getuid?.() !== 0)(
    "edits only the lines it must, keeps comments, verifies, and undo restores the file byte for byte",
    async () => {
      const { readFileSync } = await import("node:fs");
      const { liveJournalTurn } = await import("../helpers.js");
      const release = await liveJournalTurn();
      onTestFinished(release);
      const dir = await copy("jupyterhub");
      const before = readFileSync(path.join(dir, "docker-compose.yml"));
      const dry = await run(dir, ["compose", "fix", "--dry-run"]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain("+    image: docker.io/jupyterhub/jupyterhub:4.1");
      expect(readFileSync(path.join(dir, "docker-compose.yml")).equals(before)).toBe(true);
      const none = await run(dir, ["compose", "fix"]);
      expect(none.code).toBe(1); // no terminal and no --yes
      const r = await run(dir, ["compose", "fix", "--yes"]);
      expect(r.stdout).toContain("✔ compose-edits: applied and verified");
      const after = readFileSync(path.join(dir, "docker-compose.yml"), "utf8").split("\n");
      const old = before.toString().split("\n");
      expect(after.length).toBe(old.length);
      expect(after.filter((l, i) => l !== old[i])).toEqual([
        "    image: docker.io/jupyterhub/jupyterhub:4.1",
        "      - /run/podman/podman.sock:/var/run/docker.sock",
      ]);
      expect(after[0]).toBe(
        "# A JupyterHub whose spawner starts notebook containers through the engine socket.",
      );
      const runId = /podlift undo --run (\S+)/.exec(r.stdout)?.[1] as string;
      expect((await run(dir, ["undo", "--run", runId])).code).toBe(0);
      expect(readFileSync(path.join(dir, "docker-compose.yml")).equals(before)).toBe(true);
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    "on an enforcing host, :z labels are risky: --yes alone refuses, --allow-risky applies",
    async () => {
      const { cpSync, readFileSync, writeFileSync, mkdirSync } = await import("node:fs");
      // Under --root the compose file is a path on that host: the project sits inside the root.
      const root = await copy("webapp"); // any folder works as a fake root for the SELinux state
      mkdirSync(path.join(root, "sys/fs/selinux"), { recursive: true });
      writeFileSync(path.join(root, "sys/fs/selinux/enforce"), "1");
      const dir = path.join(root, "srv/agent");
      cpSync(path.join(DIR, "multi-network"), dir, { recursive: true });
      const refused = await run(dir, ["compose", "fix", "--root", root, "--yes"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("--allow-risky");
      const r = await run(dir, ["compose", "fix", "--root", root, "--yes", "--allow-risky"]);
      expect(r.stdout).toContain("applied and verified");
      expect(readFileSync(path.join(dir, "compose.yaml"), "utf8")).toContain(
        "      - ./logs:/var/log/agent:z",
      );
    },
  );

  it("rootless edits: userns_mode: keep-id under the user: line once, :z after existing options", async () => {
    const { readFileSync } = await import("node:fs");
    const { editCompose } = await import("../../src/compose-check/edits.js");
    const file = path.join(DIR, "multi-network", "compose.yaml");
    const { loaded, findings } = await check("multi-network", "compose.yaml");
    const userLines = new Map([["agent", loaded.positions.get("services.agent.user")?.line ?? 0]]);
    const edited = editCompose(readFileSync(file, "utf8"), findings, ROOTLESS, userLines);
    expect(edited.text.split("\n").slice(4, 11)).toEqual([
      "  agent:",
      "    image: docker.io/example/agent:1",
      "    privileged: true",
      '    user: "1000:1000"',
      "    userns_mode: keep-id",
      "    volumes:",
      "      - ./state:/var/lib/agent:Z",
    ]);
    expect(edited.text).toContain("      - ./logs:/var/log/agent:z\n");
    expect(edited.applied.map((f) => f.code).sort()).toEqual([
      "compose.bind-unlabeled",
      "compose.user-bind-ownership",
      "compose.user-bind-ownership",
    ]);
  });

  it("a broken file gets no edits and a failing exit", async () => {
    const dir = await copy("broken");
    const r = await run(dir, ["compose", "fix", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Nothing podlift can edit");
  });
});
