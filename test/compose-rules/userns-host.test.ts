import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/userns-host.js";
import { ROOTFUL, runRule, yaml } from "./helpers.js";

const TEXT = yaml("services:", "  app:", "    userns_mode: host", "  other:", "    userns_mode: keep-id");

describe("userns-host", () => {
  it("userns_mode: host warns under rootless only", () => {
    const { findings, codes } = runRule(rule, TEXT);
    expect(codes).toEqual(["3:compose.userns-host"]);
    expect(findings[0]?.remedy).toBe("Remove it, or use keep-id.");
    expect(runRule(rule, TEXT, ROOTFUL).codes).toEqual([]);
  });
});
