import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/unknown-keys.js";
import { runRule, yaml } from "./helpers.js";

describe("unknown-keys", () => {
  it("a misspelt service key and an unknown top-level key, at the keys; x- keys are left alone", () => {
    const text = yaml(
      "x-common: &common",
      "  restart: always",
      "services:",
      "  web:",
      "    image: nginx",
      "    enviroment:",
      "      - A=1",
      "    x-note: kept",
      "volumez:",
      "  data: {}",
    );
    const { findings, codes } = runRule(rule, text);
    expect(codes).toEqual(["6:compose.unknown-key", "9:compose.unknown-key"]);
    expect(findings[0]?.message).toContain('service key "enviroment" is not in the Compose specification');
    expect(findings[0]?.at.col).toBe(5);
    expect(findings[1]?.service).toBeNull();
  });
});
