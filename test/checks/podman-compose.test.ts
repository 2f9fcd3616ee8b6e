import { describe, expect, it } from "vitest";
import { check } from "../../checks/podman-compose.js";
import { runOn } from "../helpers.js";

describe("podman-compose", () => {
  it("passes when podman-compose answers", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.find("compose.provider-ok").evidence?.version).toBe("podman-compose version 1.2.0");
  });

  it("warns when none is installed, and fails when a compose file is given", async () => {
    const r = await runOn(check, "ubuntu-24.04-desktop");
    expect(r.find("compose.provider-missing").status).toBe("warn");
    const withCompose = await runOn(check, "rhel-9-selinux", { compose: "/_inputs/compose.yaml" });
    expect(withCompose.find("compose.provider-missing").status).toBe("fail");
    expect(withCompose.find("compose.provider-missing").remedy).toContain(
      "sudo dnf install -y podman-compose",
    );
  });

  it("does not count a provider that exits non-zero", async () => {
    const r = await runOn(check, "ubuntu-24.04-desktop", {
      spec: { commands: [{ argv: ["docker-compose", "--version"], exitCode: 1, stderr: "Traceback" }] },
    });
    expect(r.codes).toEqual(["compose.provider-missing"]);
  });
});
