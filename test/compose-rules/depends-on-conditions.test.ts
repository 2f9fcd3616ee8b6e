import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/depends-on-conditions.js";
import { ROOTLESS, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  app:",
  "    depends_on:",
  "      db:",
  "        condition: service_healthy",
  "      cache:",
  "        condition: service_started",
  "  db:",
  "    image: docker.io/library/postgres:16",
);

describe("depends-on-conditions", () => {
  it("keyed by the installed podman-compose: 1.0.6 ignores conditions, 1.4 honours them", () => {
    const none = runRule(rule, TEXT);
    expect(none.codes).toEqual(["5:compose.depends-on-condition"]);
    expect(none.findings[0]?.message).toBe(
      "waits for db to be healthy; podman-compose (not installed here) honours this only from 1.4.0",
    );
    const old = runRule(rule, TEXT, { ...ROOTLESS, podmanCompose: "1.0.6" });
    expect(old.findings[0]?.message).toContain("podman-compose 1.0.6 starts it without waiting");
    expect(runRule(rule, TEXT, { ...ROOTLESS, podmanCompose: "1.4.1" }).codes).toEqual([]);
  });

  it("the list syntax has no conditions", () => {
    expect(runRule(rule, yaml("services:", "  app:", "    depends_on: [db]")).codes).toEqual([]);
  });
});
