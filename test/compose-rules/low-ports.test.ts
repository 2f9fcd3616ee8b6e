import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/low-ports.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  web:",
  "    ports:",
  '      - "80:80"',
  '      - "8443:443"',
  '      - "127.0.0.1:443:443"',
);

describe("low-ports", () => {
  it("rootless, each published port below the unprivileged start fails", () => {
    const { findings, codes } = runRule(rule, TEXT);
    expect(codes).toEqual(["4:compose.privileged-port", "6:compose.privileged-port"]);
    expect(findings[0]?.remedy).toBe(
      "Publish a high port (8080) and redirect, or podlift fix --only unprivileged-ports.",
    );
  });

  it("follows the host's port start; rootful binds any port", () => {
    expect(runRule(rule, TEXT, { ...ROOTLESS, portStart: 80 }).codes).toEqual([]);
    expect(runRule(rule, TEXT, ROOTFUL).codes).toEqual([]);
  });
});
