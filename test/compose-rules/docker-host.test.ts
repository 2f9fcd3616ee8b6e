import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/docker-host.js";
import { ROOTFUL, runRule, yaml } from "./helpers.js";

describe("docker-host", () => {
  it("DOCKER_HOST in either environment syntax, pointed at the Podman socket", () => {
    const list = runRule(
      rule,
      yaml("services:", "  ci:", "    environment:", "      - DOCKER_HOST=tcp://docker:2375"),
    );
    expect(list.codes).toEqual(["4:compose.docker-host"]);
    expect(list.findings[0]?.message).toBe(
      "sets DOCKER_HOST=tcp://docker:2375: the container will talk to whatever listens there",
    );
    expect(list.findings[0]?.remedy).toContain("unix:///run/user/1000/podman/podman.sock");
    const map = runRule(
      rule,
      yaml("services:", "  ci:", "    environment:", "      DOCKER_HOST: unix:///var/run/docker.sock"),
      ROOTFUL,
    );
    expect(map.codes).toEqual(["4:compose.docker-host"]);
    expect(map.findings[0]?.remedy).toContain("unix:///run/podman/podman.sock");
  });
});
