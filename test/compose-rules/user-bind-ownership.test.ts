import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/user-bind-ownership.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  agent:",
  '    user: "1000:1000"',
  "    volumes:",
  "      - ./state:/state",
  "      - ./logs:/logs",
  "      - cache:/cache",
);

describe("user-bind-ownership", () => {
  it("each bind mount of a service with user: under rootless; named volumes are not binds", () => {
    const { findings, codes } = runRule(rule, TEXT);
    expect(codes).toEqual(["5:compose.user-bind-ownership", "6:compose.user-bind-ownership"]);
    expect(findings[0]?.message).toContain("not to alice");
  });

  it("nothing rootful, or when userns_mode is set", () => {
    expect(runRule(rule, TEXT, ROOTFUL).codes).toEqual([]);
    expect(
      runRule(rule, TEXT.replace("    volumes:", "    userns_mode: keep-id\n    volumes:")).codes,
    ).toEqual([]);
  });

  it("one keep-id line goes under user:, however many mounts were found", () => {
    const { findings } = runRule(rule, TEXT);
    const edited = editCompose(TEXT, findings, ROOTLESS, new Map([["agent", 3]]));
    expect(edited.text.split("\n").slice(2, 5)).toEqual([
      '    user: "1000:1000"',
      "    userns_mode: keep-id",
      "    volumes:",
    ]);
    expect(edited.applied).toHaveLength(2);
  });
});
