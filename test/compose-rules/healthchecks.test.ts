import path from "node:path";
import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/healthchecks.js";
import { loadProject } from "../../src/compose/project.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import type { HostContext } from "../../src/compose-check/types.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

const TRADING = path.join(import.meta.dirname, "..", "fixtures", "compose", "trading", "compose.yaml");
const check = async (host: HostContext) =>
  checkProject(await loadProject(TRADING, {}), host, [rule]).map((f) => `${f.at.line}:${f.code}:${f.status}`);

const SYSTEMD = { systemd: true, lingers: true };
const NO_MANAGER: HostContext = {
  ...ROOTLESS,
  hostRestarts: SYSTEMD,
  userManager: false,
  podmanCompose: "1.5.0",
};

describe("healthchecks", () => {
  it("rootless without a systemd user manager: service_healthy on a real healthcheck waits forever", async () => {
    expect(await check(NO_MANAGER)).toEqual([
      "26:compose.healthcheck-never-runs:fail",
      "28:compose.healthcheck-disabled:fail",
      "47:compose.healthcheck-never-runs:fail",
    ]);
    const { findings } = runRule(
      rule,
      yaml(
        "services:",
        "  db:",
        "    healthcheck: { test: [CMD, pg_isready] }",
        "  web:",
        "    depends_on: { db: { condition: service_healthy } }",
      ),
      NO_MANAGER,
    );
    expect(findings[0]?.message).toBe(
      "waits for db to be healthy, but alice has no systemd user manager (/run/user/1000/systemd), and rootless Podman runs healthchecks only from the user's systemd timers: db never turns healthy, and web waits forever",
    );
    expect(findings[0]?.remedy).toContain("loginctl enable-linger alice");
  });

  it("no systemd at all: rootful too", async () => {
    const host = { ...ROOTFUL, hostRestarts: { systemd: false, lingers: null } };
    expect(await check(host)).toEqual([
      "26:compose.healthcheck-never-runs:fail",
      "28:compose.healthcheck-disabled:fail",
      "47:compose.healthcheck-never-runs:fail",
    ]);
  });

  it("a podman-compose that does not wait (before 1.4): never-runs is a warn, nothing hangs", async () => {
    const found = await check({ ...NO_MANAGER, podmanCompose: "1.0.6" });
    expect(found).toContain("26:compose.healthcheck-never-runs:warn");
  });

  it("healthchecks run (systemd, a user manager), or the facts are unknown: only the disabled target fails", async () => {
    expect(await check({ ...NO_MANAGER, userManager: true })).toEqual([
      "28:compose.healthcheck-disabled:fail",
    ]);
    expect(await check(ROOTLESS)).toEqual(["28:compose.healthcheck-disabled:fail"]);
    // Rootful does not need a user manager.
    expect(await check({ ...ROOTFUL, hostRestarts: { systemd: true, lingers: null } })).toEqual([
      "28:compose.healthcheck-disabled:fail",
    ]);
  });

  it('test: ["NONE"] is disabled; service_started and list depends_on are not judged', () => {
    const text = yaml(
      "services:",
      "  db:",
      "    healthcheck:",
      '      test: ["NONE"]',
      "  a:",
      "    depends_on: { db: { condition: service_healthy } }",
      "  b:",
      "    depends_on: { db: { condition: service_started } }",
      "  c:",
      "    depends_on: [db]",
    );
    expect(runRule(rule, text, NO_MANAGER).codes).toEqual(["6:compose.healthcheck-disabled"]);
  });

  it("broken input: a healthcheck that is a string, depends_on entries that are not mappings: no throw", () => {
    const text = yaml(
      "services:",
      "  db:",
      "    healthcheck: pg_isready",
      "  cache:",
      "    healthcheck: [CMD, true]",
      "  a:",
      "    depends_on: { db: { condition: service_healthy }, cache: service_healthy, gone: { condition: service_healthy } }",
      "  b:",
      "    depends_on: 7",
      "  c: null",
    );
    expect(runRule(rule, text, NO_MANAGER).codes).toEqual([]);
    expect(runRule(rule, text, { ...NO_MANAGER, podmanCompose: "garbage" }).codes).toEqual([]);
  });
});
