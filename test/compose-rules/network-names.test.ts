import path from "node:path";
import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/network-names.js";
import { loadProject } from "../../src/compose/project.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import { ROOTLESS, runRule, yaml } from "./helpers.js";

const fixture = (name: string) => path.join(import.meta.dirname, "..", "fixtures", "compose", name);

describe("network-names", () => {
  it("an environment value that spells out a generated network name", async () => {
    const loaded = await loadProject(fixture("jupyterhub-spawner.yaml"), {});
    const found = checkProject(loaded, ROOTLESS, [rule]);
    expect(found.map((f) => `${f.at.line}:${f.code}`)).toEqual(["6:compose.network-name-assumption"]);
    expect(found[0]?.remedy).toContain("name: hub_spawn");
  });

  it("a network with a fixed name, or an external one, is no assumption", () => {
    const text = yaml(
      "name: hub",
      "services:",
      "  hub:",
      "    environment:",
      "      NET: hub_pinned",
      "      OTHER: hub_outside",
      "      DEFAULT: hub_default",
      "networks:",
      "  pinned:",
      "    name: hub_pinned",
      "  outside:",
      "    external: true",
    );
    expect(runRule(rule, text).codes).toEqual(["7:compose.network-name-assumption"]);
  });

  it("the assumption's edit pins the name under the network's key: `net: {}` becomes a block", async () => {
    const loaded = await loadProject(fixture("jupyterhub-spawner.yaml"), {});
    const found = checkProject(loaded, ROOTLESS, [rule]);
    const edited = editCompose(loaded.text, found, ROOTLESS, new Map());
    expect(edited.applied).toHaveLength(1);
    expect(edited.text.split("\n").slice(7)).toEqual(["networks:", "  spawn:", "    name: hub_spawn", ""]);
  });

  it("gopyter: a value written for compose v1's project name fails, and the pin is inserted", async () => {
    // Folder gopyter: podman-compose creates gopyter_jupyterhub-network, the spawner asks for
    // jupyterhub_jupyterhub-network and fails "unable to find network".
    const loaded = await loadProject(fixture("gopyter/compose.yaml"), {});
    const host = { ...ROOTLESS, podmanNetworks: new Set(["podman"]) };
    const found = checkProject(loaded, host, [rule]);
    expect(found.map((f) => `${f.at.line}:${f.code}:${f.status}`)).toEqual([
      "14:compose.network-name-missing:fail",
    ]);
    expect(found[0]?.message).toContain(
      "this project is gopyter: compose creates gopyter_jupyterhub-network",
    );
    expect(found[0]?.remedy).toBe(
      "Pin the network's name (networks: jupyterhub-network: name: jupyterhub_jupyterhub-network), or write DOCKER_NETWORK_NAME: gopyter_jupyterhub-network.",
    );
    const edited = editCompose(loaded.text, found, host, new Map());
    expect(edited.text.split("\n").slice(20, 24)).toEqual([
      "networks:",
      "  jupyterhub-network:",
      "    name: jupyterhub_jupyterhub-network",
      "    driver: bridge",
    ]);
    // Once pinned, the project has the network by that name.
    const again = checkProject(
      (await import("../../src/compose/project.js")).parseProject(loaded.file, edited.text, "", {}),
      host,
      [rule],
    );
    expect(again).toEqual([]);
  });

  it("a network Podman already has by that name is fine", async () => {
    const loaded = await loadProject(fixture("gopyter/compose.yaml"), {});
    const host = { ...ROOTLESS, podmanNetworks: new Set(["jupyterhub_jupyterhub-network"]) };
    expect(checkProject(loaded, host, [rule])).toEqual([]);
  });

  it("a NETWORK key naming no network anywhere warns only when Podman's networks are known", () => {
    const text = yaml(
      "services:",
      "  hub:",
      "    environment:",
      "      - SPAWN_NETWORK=lab-net",
      "      - NETWORK_MODE=host",
      "      - OTHER_NETWORK=10.0.0.0/8",
      "      - NETWORK",
      "      - SETTINGS=myapp_default",
      "      - DOCKER_NETWORK=other_default",
    );
    const host = { ...ROOTLESS, podmanNetworks: new Set<string>() };
    expect(runRule(rule, text, host).findings.map((f) => `${f.at.line}:${f.code}:${f.status}`)).toEqual([
      "4:compose.network-name-missing:warn",
      "9:compose.network-name-missing:fail",
    ]);
    expect(runRule(rule, text, ROOTLESS).codes).toEqual(["9:compose.network-name-missing"]);
    expect(runRule(rule, text, host).findings[0]?.remedy).toBe(
      "Create it (podman network create lab-net; podlift migrate networks when Docker has it), declare it in networks: with name: lab-net, or correct the value.",
    );
  });

  it("null and flow-style network keys: `net: null` is rewritten, a flow mapping is left to a person", () => {
    const text = yaml(
      "name: lab",
      "services:",
      "  hub:",
      "    environment: { NET: other_spawn, NET2: other_inner }",
      "networks:",
      "  spawn: null # the spawner's",
      "  inner: { driver: bridge }",
    );
    const { findings } = runRule(rule, text);
    const edited = editCompose(text, findings, ROOTLESS, new Map());
    expect(edited.text.split("\n").slice(5, 8)).toEqual([
      "  spawn: # the spawner's",
      "    name: other_spawn",
      "  inner: { driver: bridge }",
    ]);
    expect(edited.skipped.map((s) => s.finding.data?.network)).toEqual(["inner"]);
  });

  it("a renamed default network is not generated; a declared plain default is judged once", () => {
    const renamed = yaml(
      "name: lab",
      "services:",
      "  a:",
      "    environment: [NETWORK=lab_default, DOCKER_NETWORK=old_default]",
      "networks:",
      "  default:",
      "    name: lab-net",
    );
    expect(runRule(rule, renamed).codes).toEqual([]);
    const plain = yaml(
      "name: lab",
      "services:",
      "  a:",
      "    environment: [NETWORK=old_default]",
      "networks:",
      "  default:",
    );
    const { findings } = runRule(rule, plain);
    expect(findings.map((f) => f.code)).toEqual(["compose.network-name-missing"]);
    expect(editCompose(plain, findings, ROOTLESS, new Map()).text.split("\n").slice(4)).toEqual([
      "networks:",
      "  default:",
      "    name: old_default",
      "",
    ]);
  });

  it("two different values for one network: only the first is pinned", () => {
    const text = yaml(
      "name: lab",
      "services:",
      "  a:",
      "    environment: [NET=lab_spawn]",
      "  b:",
      "    environment: [NET=old_spawn]",
      "networks:",
      "  spawn:",
    );
    const { findings } = runRule(rule, text);
    expect(findings.map((f) => f.code)).toEqual([
      "compose.network-name-assumption",
      "compose.network-name-missing",
    ]);
    const edited = editCompose(text, findings, ROOTLESS, new Map());
    expect(edited.text.split("\n").slice(6)).toEqual(["networks:", "  spawn:", "    name: lab_spawn", ""]);
  });

  it("<other>_<network> under a key that does not name a network is only a warn", () => {
    const text = yaml(
      "name: shop",
      "services:",
      "  db:",
      "    environment: [DB_NAME=orders_backend]",
      "networks:",
      "  backend: {}",
    );
    expect(runRule(rule, text).findings.map((f) => `${f.code}:${f.status}`)).toEqual([
      "compose.network-name-missing:warn",
    ]);
  });

  it("broken input: networks as a list, environment as a string, numbers and nulls, never throws", () => {
    const text = yaml(
      "services:",
      "  a:",
      "    environment: just-a-string",
      "  b:",
      "    environment: { NETWORK: 42, NET2: null, NET3: [x] }",
      "  c: null",
      "  d: 7",
      "networks: [spawn]",
    );
    expect(() => runRule(rule, text, { ...ROOTLESS, podmanNetworks: new Set() })).not.toThrow();
    const odd = yaml("services:", "  a:", "    environment: [NET=x_spawn]", "networks:", "  spawn: 3");
    expect(runRule(rule, odd).codes).toEqual(["3:compose.network-name-missing"]);
  });
});
