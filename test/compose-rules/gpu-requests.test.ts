import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/gpu-requests.js";
import { ROOTLESS, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  notebook:",
  "    deploy:",
  "      resources:",
  "        reservations:",
  "          devices:",
  "            - driver: nvidia",
  "              count: all",
  "              capabilities: [gpu]",
  "    runtime: nvidia",
);

describe("gpu-requests", () => {
  it("fails without a CDI spec, warns with one; runtime: nvidia warns", () => {
    const without = runRule(rule, TEXT);
    expect(without.findings.map((f) => `${f.at.line}:${f.code}:${f.status}`)).toEqual([
      "7:compose.gpu-request:fail",
      "10:compose.nvidia-runtime:warn",
    ]);
    expect(without.findings[0]?.remedy).toBe(
      "Use devices: [nvidia.com/gpu=all (after nvidia-ctk cdi generate)].",
    );
    const withCdi = runRule(rule, TEXT, { ...ROOTLESS, cdiDevices: ["nvidia.com/gpu=all"] });
    expect(withCdi.findings[0]).toMatchObject({
      status: "warn",
      remedy: "Use devices: [nvidia.com/gpu=all].",
    });
  });
});
