import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/privileged-rootless.js";
import { ROOTFUL, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  agent:",
  "    image: docker.io/example/agent:1",
  "    privileged: true",
  "  web:",
  "    privileged: false",
);

describe("privileged-rootless", () => {
  it("privileged: true warns under rootless only", () => {
    expect(runRule(rule, TEXT).codes).toEqual(["4:compose.privileged-rootless"]);
    expect(runRule(rule, TEXT, ROOTFUL).codes).toEqual([]);
  });
});
