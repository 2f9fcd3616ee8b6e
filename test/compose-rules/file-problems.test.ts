import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/file-problems.js";
import { runRule, yaml } from "./helpers.js";

describe("file-problems", () => {
  it("invalid YAML is a failing finding at the error's position", () => {
    const { findings } = runRule(rule, yaml("services:", "  web:", "    image: [nginx"));
    expect(findings[0]).toMatchObject({ code: "compose.yaml-invalid", status: "fail" });
    expect(findings[0]?.remedy).toBe("Correct the YAML at that position.");
  });

  it("an unset variable warns, a required one fails, each at its value", () => {
    const text = yaml(
      "services:",
      "  web:",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
      "    image: nginx:${TAG}",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
      "    command: ${CMD:?say what to run}",
    );
    const { findings, codes } = runRule(rule, text);
    expect(codes).toEqual(["3:compose.var-missing", "4:compose.var-required"]);
    expect(findings.map((f) => f.status)).toEqual(["warn", "fail"]);
    expect(findings[1]?.message).toBe("variable CMD is not set (say what to run)");
  });

  it("a file without a services mapping", () => {
    expect(runRule(rule, yaml("services:", "  - web")).codes).toEqual(["1:compose.no-services"]);
    expect(runRule(rule, yaml("services:", "  web:", "    image: nginx")).codes).toEqual([]);
  });
});
