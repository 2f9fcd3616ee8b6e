// One project from several files, merged as Compose merges them (-f a -f b, compose.override.yaml),
// with every finding placed in the file its value came from; --dotenv for interpolation.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { parseSources } from "../../src/compose/project.js";
import { liveJournalTurn } from "../helpers.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const GITEA = path.join(import.meta.dirname, "..", "fixtures", "compose", "gitea-override");

function run(cwd: string, args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [BIN, "compose", ...args],
      { cwd, env: { ...process.env, CI: "true", DOCKER_HOST: "unix:///nonexistent/docker.sock" } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

const yaml = (...lines: string[]) => `${lines.join("\n")}\n`;

/**
 * Undoes the fix run whose stdout this is (`Undo with: podlift undo --run ID`), so that a test
 * leaves no active run in the live journal (a later `podlift undo` there would take it for the
 * host's).
 */
function undo(stdout: string) {
  const id = /podlift undo --run (\S+)/.exec(stdout)?.[1];
  expect(id).toBeDefined();
  return new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(process.execPath, [BIN, "undo", "--run", id as string], (error, out) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout: out }),
    ),
  );
}

describe("merging compose files", () => {
  const base = yaml(
    "services:",
    "  app:",
    "    image: app:1",
    "    command: [serve, --port, '80']",
    "    environment:",
    "      - A=1",
    "      - B=2",
    "    ports: ['80:80']",
    "    volumes:",
    "      - ./data:/data",
    "      - ./logs:/logs",
  );
  const over = yaml(
    "services:",
    "  app:",
    "    image: app:2",
    "    command: [serve]",
    "    environment:",
    "      B: '3'",
    "      C: '4'",
    "    ports: ['80:80', '443:443']",
    "    volumes:",
    "      - /srv/data:/data",
    "  extra:",
    "    image: extra",
  );
  const merged = parseSources(
    [
      { file: "/p/compose.yaml", text: base },
      { file: "/p/override.yaml", text: over },
    ],
    "",
    {},
  );
  const app = (merged.data.services as Record<string, Record<string, unknown>>).app as Record<
    string,
    unknown
  >;

  it("follows Compose's rules: scalars and commands replaced, names merged, mounts by target, lists without repeats", () => {
    expect(app.image).toBe("app:2");
    expect(app.command).toEqual(["serve"]);
    expect(app.environment).toEqual(["A=1", "B=3", "C=4"]);
    expect(app.ports).toEqual(["80:80", "443:443"]);
    expect(app.volumes).toEqual(["/srv/data:/data", "./logs:/logs"]);
    expect(Object.keys(merged.data.services as object)).toEqual(["app", "extra"]);
  });

  it("places every value in the file it came from; list entries keep their merged index", () => {
    expect(merged.positions.get("services.app.image")).toEqual({
      line: 3,
      col: 12,
      file: "/p/override.yaml",
    });
    expect(merged.positions.get("services.app.volumes.1")).toEqual({ line: 11, col: 9 });
    expect(merged.positions.get("services.app.volumes.0")).toMatchObject({
      line: 10,
      file: "/p/override.yaml",
    });
    expect(merged.positions.get("services.app.ports.1")).toMatchObject({ line: 8, file: "/p/override.yaml" });
    expect(merged.positions.get("services.app.environment.2")).toMatchObject({
      line: 7,
      file: "/p/override.yaml",
    });
    expect(merged.positions.get("services.extra.image")).toMatchObject({
      line: 12,
      file: "/p/override.yaml",
    });
  });

  it("a YAML error in a later file is reported there, and nothing else is checked", () => {
    const broken = parseSources(
      [
        { file: "/p/compose.yaml", text: base },
        { file: "/p/override.yaml", text: "services:\n  app: [\n" },
      ],
      "",
      {},
    );
    expect(broken.problems.map((p) => [p.code, p.at.file])).toEqual([
      ["compose.yaml-invalid", "/p/override.yaml"],
    ]);
    expect(broken.data).toEqual({});
  });

  it("a mapping where a list was (or the other way round) takes the later value, no throw", () => {
    const odd = parseSources(
      [
        { file: "/a.yaml", text: "services:\n  x:\n    ports: ['1:1']\n    volumes: {a: 1}\n" },
        {
          file: "/b.yaml",
          text: "services:\n  x:\n    ports: {p: 1}\n    volumes: ['./v:/v']\n    environment: 7\n",
        },
      ],
      "",
      {},
    );
    const x = (odd.data.services as Record<string, Record<string, unknown>>).x;
    expect(x).toEqual({ ports: { p: 1 }, volumes: ["./v:/v"], environment: 7 });
  });
});

describe("podlift compose check with several files", () => {
  it("finds compose.override.yml beside the file it discovers and reports findings in the override", async () => {
    const r = await run(GITEA, ["check", "--format", "json", "--dotenv", "site.env"]);
    const report = JSON.parse(r.stdout);
    const socket = report.findings.find((f: { code: string }) => f.code === "compose.docker-socket");
    expect(socket).toMatchObject({
      service: "runner",
      at: { line: 14, file: path.join(GITEA, "docker-compose.override.yml") },
    });
    // The image tag came from --dotenv: no missing-variable finding, no interpolation default.
    expect(report.findings.map((f: { code: string }) => f.code)).not.toContain("compose.var-missing");
    const text = await run(GITEA, ["check", "--dotenv", "site.env"]);
    expect(text.stdout).toMatch(/docker-compose\.override\.yml:14:\d+ \[runner\] mounts Docker's socket/);
  });

  it("-f names the files and their order; only those are read", async () => {
    const r = await run(GITEA, ["check", "-f", "docker-compose.yml", "--format", "json"]);
    const report = JSON.parse(r.stdout);
    expect(report.findings.some((f: { service: string }) => f.service === "runner")).toBe(false);
    const missing = await run(GITEA, ["check", "-f", "docker-compose.yml", "-f", "nope.yml"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.yml: no such file");
    const env = await run(GITEA, ["check", "--dotenv", "no-such.env"]);
    expect(env.code).toBe(2);
  });

  it("compose fix edits each finding in its own file", async () => {
    onTestFinished(await liveJournalTurn());
    const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-compose-merge-"));
    cpSync(GITEA, dir, { recursive: true });
    const r = await run(dir, ["fix", "--yes", "--dotenv", "site.env"]);
    expect(r.stdout).toContain("applied and verified");
    const base = readFileSync(path.join(dir, "docker-compose.yml"), "utf8");
    const override = readFileSync(path.join(dir, "docker-compose.override.yml"), "utf8");
    expect(base).toContain("image: docker.io/library/postgres:14");
    expect(override).toContain("image: docker.io/gitea/act_runner:0.2.6");
    expect(override).toMatch(/podman\.sock:\/var\/run\/docker\.sock/);
    // Undo puts both files back byte for byte.
    expect((await undo(r.stdout)).code).toBe(0);
    for (const f of ["docker-compose.yml", "docker-compose.override.yml"])
      expect(readFileSync(path.join(dir, f))).toEqual(readFileSync(path.join(GITEA, f)));
  });

  it("an edit goes to the file that holds the line it changes: a network pinned where it is declared", async () => {
    onTestFinished(await liveJournalTurn());
    const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-compose-merge-pin-"));
    const base = "services:\n  hub:\n    image: docker.io/jupyterhub/jupyterhub:4\nnetworks:\n  hubnet:\n";
    writeFileSync(path.join(dir, "compose.yaml"), base);
    writeFileSync(
      path.join(dir, "compose.override.yaml"),
      "services:\n  hub:\n    environment:\n      DOCKER_NETWORK_NAME: jupyterhub_hubnet\n",
    );
    const r = await run(dir, ["fix", "--yes"]);
    expect(r.stdout).toContain("applied and verified");
    expect(readFileSync(path.join(dir, "compose.yaml"), "utf8")).toContain(
      "  hubnet:\n    name: jupyterhub_hubnet",
    );
    expect(readFileSync(path.join(dir, "compose.override.yaml"), "utf8")).toContain(
      "DOCKER_NETWORK_NAME: jupyterhub_hubnet",
    );
    expect((await undo(r.stdout)).code).toBe(0);
    expect(readFileSync(path.join(dir, "compose.yaml"), "utf8")).toBe(base);
  });
});
