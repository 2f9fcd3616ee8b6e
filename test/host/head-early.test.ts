// The single file's head starts a plain doctor run's commands before podlift loads
// (scripts/head-early.cjs); a check takes one over only when it asks for the very same argv. The
// head's copies of what the checks ask must stay the checks' own: a copy that drifts costs a
// second run of that command (the early one unused, killed at exit).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_PATH } from "../../checks/docker-still-in-charge.js";
import { COMPOSE_PROVIDERS } from "../../src/doctor/host-probes.js";

const source = readFileSync(path.join(import.meta.dirname, "..", "..", "scripts", "head-early.cjs"), "utf8");
const head = new Function(
  "require",
  "Buffer",
  `${source}\nreturn { COMPOSE_PROVIDERS, DOCKER_DEFAULT_PATH };`,
)(createRequire(import.meta.url), Buffer) as { COMPOSE_PROVIDERS: string[][]; DOCKER_DEFAULT_PATH: string };

describe("the head's copies of what the checks run", () => {
  it("the compose providers' version commands, in the same order", () => {
    expect(head.COMPOSE_PROVIDERS).toEqual(COMPOSE_PROVIDERS.map((argv) => [...argv]));
  });

  it("docker-still-in-charge's PATH when the environment has none", () => {
    expect(head.DOCKER_DEFAULT_PATH).toBe(DEFAULT_PATH);
  });
});

/** The head's startOthers with node:fs/promises replaced: a folder in `hung` never answers. */
function others(options: { hung?: string; there: string[]; missed?: string[] }) {
  const calls: string[] = [];
  const answer = (file: string) => {
    calls.push(file);
    if (options.hung && file.startsWith(`${options.hung}/`)) return new Promise(() => {});
    if (options.there.includes(file))
      return Promise.resolve({ isFile: () => true, isSymbolicLink: () => false, mode: 0o755 });
    return Promise.reject(Object.assign(new Error("ENOENT"), { code: "ENOENT" }));
  };
  const fakeFs = {
    lstat: answer,
    stat: answer,
    open: () =>
      Promise.resolve({
        read: (b: Buffer) => {
          b.writeUInt32BE(0x7f454c46, 0);
          return Promise.resolve({ buffer: b, bytesRead: 4 });
        },
        close: () => Promise.resolve(),
      }),
  };
  const real = createRequire(import.meta.url);
  const req = (id: string) => (id === "node:fs/promises" ? fakeFs : real(id));
  const { startOthers } = new Function("require", "Buffer", `${source}\nreturn { startOthers };`)(
    req,
    Buffer,
  ) as {
    startOthers: (...a: unknown[]) => void;
  };
  const early = {
    missed: new Set((options.missed ?? []).map((m) => JSON.stringify([m.split(" "), "root", {}]))),
    slowDirs: new Set<string>(),
  };
  const started: string[] = [];
  startOthers([], null, (argv: string[]) => started.push(argv.join(" ")), early, "root");
  return { calls, early, started };
}

describe("the head's PATH lookups", () => {
  const path0 = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path0;
  });

  it("start the compose providers and docker found on PATH", async () => {
    process.env.PATH = "/a:/b";
    const r = others({ there: ["/b/docker-compose", "/b/docker"] });
    await new Promise((res) => setTimeout(res, 100));
    expect(r.started.sort()).toEqual([
      "/b/docker --version",
      "docker compose version",
      "docker-compose --version",
      "podman ps -a --format json",
    ]);
  });

  it("a folder that never answers: one lookup reaches it, then none, and nothing it might hold is started", async () => {
    process.env.PATH = "/hung:/b";
    const r = others({ hung: "/hung", there: ["/b/docker-compose", "/b/docker"] });
    await new Promise((res) => setTimeout(res, 1300));
    expect(r.calls.filter((c) => c.startsWith("/hung/"))).toHaveLength(1);
    expect([...r.early.slowDirs]).toEqual(["/hung"]);
    expect(r.started).toEqual(["podman ps -a --format json"]);
  });

  it("a command its check already ran (early.missed) is not started a second time", async () => {
    process.env.PATH = "/b";
    const r = others({ there: ["/b/docker-compose", "/b/docker"], missed: ["docker-compose --version"] });
    await new Promise((res) => setTimeout(res, 100));
    expect(r.started.sort()).toEqual([
      "/b/docker --version",
      "docker compose version",
      "podman ps -a --format json",
    ]);
  });
});
