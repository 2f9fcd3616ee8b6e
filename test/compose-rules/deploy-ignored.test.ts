import path from "node:path";
import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/deploy-ignored.js";
import { loadProject } from "../../src/compose/project.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import type { HostContext } from "../../src/compose-check/types.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

const TRADING = path.join(import.meta.dirname, "..", "fixtures", "compose", "trading", "compose.yaml");
const check = async (host: HostContext) =>
  checkProject(await loadProject(TRADING, {}), host, [rule]).map((f) => `${f.at.line}:${f.code}:${f.status}`);

// Debian 12's systemd 252 delegates cpu too; an older one (RHEL 8) only memory and pids.
const ALL = ["cpuset", "cpu", "io", "memory", "pids"];
const OLD = ["memory", "pids"];
const PC16: HostContext = { ...ROOTLESS, podmanCompose: "1.6.0", delegatedControllers: ALL };

describe("deploy-ignored", () => {
  it("podman-compose 1.6: Swarm keys, and replicas without mode: replicated, warn; limits pass with controllers", async () => {
    expect(await check(PC16)).toEqual([
      "32:compose.deploy-ignored:warn",
      "37:compose.deploy-ignored:warn",
      "39:compose.deploy-ignored:warn",
      "57:compose.deploy-ignored:warn",
    ]);
    const { findings } = runRule(rule, (await loadProject(TRADING, {})).text, PC16);
    expect(findings[0]?.message).toBe(
      "deploy.replicas: 2, but podman-compose 1.6.0 reads replicas only beside mode: replicated: it runs one container",
    );
    expect(findings[1]?.message).toBe(
      "deploy.restart_policy is a Swarm setting podman-compose 1.6.0 never reads: it has no effect",
    );
  });

  it("the replicas edit adds mode: replicated above replicas, and then nothing about replicas is left", async () => {
    const p = await loadProject(TRADING, {});
    const found = checkProject(p, PC16, [rule]);
    const edited = editCompose(p.text, found, PC16, new Map());
    expect(edited.applied.map((f) => f.at.line)).toEqual([32]);
    expect(edited.text.split("\n").slice(30, 33)).toEqual([
      "    deploy:",
      "      mode: replicated",
      "      replicas: 2",
    ]);
    expect(edited.skipped.length).toBe(3);
  });

  it("podman-compose before 1.4 reads replicas alone but not limits.pids", async () => {
    expect(await check({ ...PC16, podmanCompose: "1.0.6" })).toEqual([
      "37:compose.deploy-ignored:warn",
      "39:compose.deploy-ignored:warn",
      "56:compose.deploy-ignored:warn",
      "57:compose.deploy-ignored:warn",
    ]);
  });

  it("rootless without the cpu controller delegated: the cpus limit fails (the container does not start)", async () => {
    const found = await check({ ...PC16, delegatedControllers: OLD });
    expect(found).toContain("35:compose.deploy-limit-unenforced:fail");
    expect(found.filter((f) => f.includes("unenforced"))).toHaveLength(1);
    const { findings } = runRule(
      rule,
      yaml(
        "services:",
        "  a:",
        "    deploy:",
        "      resources:",
        "        limits: { cpus: 0.5, memory: 1G }",
      ),
      { ...ROOTLESS, delegatedControllers: [] },
    );
    expect(findings.map((f) => f.message)).toEqual([
      'deploy.resources.limits.cpus: 0.5 needs the cpu cgroup controller, which is not delegated to alice (they have: none): the container does not start ("the requested cgroup controller `cpu` is not available")',
      'deploy.resources.limits.memory: 1G needs the memory cgroup controller, which is not delegated to alice (they have: none): the container does not start ("the requested cgroup controller `memory` is not available")',
    ]);
    expect(findings[0]?.remedy).toContain("Delegate=cpu cpuset io memory pids");
  });

  it("cgroup v1 rootless: every limit is ignored (warn); rootful, or controllers unknown: no limit finding", async () => {
    const v1 = await check({ ...PC16, delegatedControllers: null });
    expect(v1.filter((f) => f.includes("unenforced"))).toEqual([
      "35:compose.deploy-limit-unenforced:warn",
      "36:compose.deploy-limit-unenforced:warn",
      "55:compose.deploy-limit-unenforced:warn",
      "56:compose.deploy-limit-unenforced:warn",
    ]);
    const rootful = await check({ ...ROOTFUL, podmanCompose: "1.6.0", delegatedControllers: null });
    expect(rootful.filter((f) => f.includes("unenforced"))).toEqual([]);
    const unknown = await check({ ...PC16, delegatedControllers: undefined });
    expect(unknown.filter((f) => f.includes("unenforced"))).toEqual([]);
  });

  it("mode: global and reservations.cpus warn; no podman-compose installed: replicas are not judged", () => {
    const text = yaml(
      "services:",
      "  agent:",
      "    deploy:",
      "      mode: global",
      "      resources:",
      "        reservations:",
      "          cpus: '0.25'",
      "  web:",
      "    deploy:",
      "      replicas: 2",
    );
    expect(runRule(rule, text, ROOTLESS).codes).toEqual([
      "4:compose.deploy-ignored",
      "7:compose.deploy-ignored",
    ]);
    // With scale: beside it, podman-compose runs that many whatever replicas says.
    const scaled = yaml("services:", "  web:", "    scale: 2", "    deploy:", "      replicas: 2");
    expect(runRule(rule, scaled, PC16).codes).toEqual([]);
  });

  it("broken input: deploy as a list or a string, resources as a number, limits as a list: no throw", () => {
    const text = yaml(
      "services:",
      "  a:",
      "    deploy: [replicas, 2]",
      "  b:",
      "    deploy: swarm",
      "  c:",
      "    deploy: { resources: 4 }",
      "  d:",
      "    deploy: { resources: { limits: [cpus] }, replicas: [2] }",
      "  e: null",
    );
    const host = { ...PC16, delegatedControllers: [] };
    expect(runRule(rule, text, host).codes).toEqual(["9:compose.deploy-ignored"]);
  });
});
