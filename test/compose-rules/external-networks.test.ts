import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/external-networks.js";
import { ROOTFUL, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  app: {}",
  "networks:",
  "  backend:",
  "    external: true",
  "    name: corp-backend",
  "  front:",
  "    external: true",
  "  own: {}",
);

describe("external-networks", () => {
  it("each external network, by the name Podman must have", () => {
    const { findings, codes } = runRule(rule, TEXT);
    expect(codes).toEqual(["5:compose.external-network", "8:compose.external-network"]);
    expect(findings[0]?.remedy).toBe("podman network create corp-backend (as the user who runs the project)");
    expect(runRule(rule, TEXT, ROOTFUL).findings[1]?.remedy).toBe("podman network create front");
  });
});
