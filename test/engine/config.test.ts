import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/commands/config.js";
import { UsageError } from "../../src/errors.js";
import { tempHost } from "../helpers.js";

const dir = tempHost({});
const write = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};

describe("config file", () => {
  it("is optional in the working folder but required when named", async () => {
    expect(await loadConfig(undefined, "/nonexistent-dir")).toEqual({ path: null, skip: {} });
    await expect(loadConfig("/nonexistent-dir/podlift.json", "/")).rejects.toThrow(UsageError);
  });

  it("reads skips with reasons, failOn, timeoutMs and ports", async () => {
    const file = write(
      "ok.json",
      JSON.stringify({ skip: { "cdi-specs": "no GPUs" }, failOn: "warn", timeoutMs: 2000, ports: [80] }),
    );
    expect(await loadConfig(file, "/")).toMatchObject({
      skip: { "cdi-specs": "no GPUs" },
      failOn: "warn",
      timeoutMs: 2000,
      ports: [80],
    });
  });

  it.each([
    ["{ not json", /not valid JSON/],
    ["[]", /must be a JSON object/],
    ['{"skip": ["cdi-specs"]}', /must map check ids to reasons/],
    ['{"skip": {"cdi-specs": ""}}', /needs a reason/],
    ['{"failOn": "error"}', /"failOn" must be/],
    ['{"ports": [70000]}', /list of port numbers/],
    ['{"skp": {}}', /unknown key\(s\) skp/],
  ])("rejects %s with a clear message", async (text, message) => {
    await expect(loadConfig(write("bad.json", text), "/")).rejects.toThrow(message);
  });
});
