import path from "node:path";
import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/network-names.js";
import { loadProject } from "../../src/compose/project.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import { ROOTLESS, runRule, yaml } from "./helpers.js";

describe("network-names", () => {
  it("an environment value that spells out a generated network name", async () => {
    const loaded = await loadProject(
      path.join(import.meta.dirname, "..", "fixtures", "compose", "jupyterhub-spawner.yaml"),
      {},
    );
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
});
