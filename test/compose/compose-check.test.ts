// podlift compose check on projects shaped like real ones (written for these tests, not copied).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { interpolate, loadProject, parseEnvFile } from "../../src/compose-check/load.js";
import { checkProject, type HostContext } from "../../src/compose-check/rules.js";

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
    ]);
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
