import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/host-network.js";
import { ROOTFUL, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  dns:",
  "    image: docker.io/coredns/coredns:1.11",
  "    network_mode: host",
);

describe("host-network", () => {
  it("warns under rootless, at the network_mode value", () => {
    expect(runRule(rule, TEXT).codes).toEqual(["4:compose.host-network-rootless"]);
    expect(runRule(rule, TEXT, ROOTFUL).codes).toEqual([]);
  });
});
