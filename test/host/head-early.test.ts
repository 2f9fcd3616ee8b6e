// The single file's head starts a plain doctor run's commands before podlift loads
// (scripts/head-early.cjs); a check takes one over only when it asks for the very same argv. The
// head's copies of what the checks ask must stay the checks' own: a copy that drifts costs a
// second run of that command (the early one unused, killed at exit).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
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
