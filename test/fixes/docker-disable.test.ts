import { rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { scratchCopy } from "../helpers.js";
import { planOn } from "./fix-helpers.js";

describe("docker-disable", () => {
  it("plans `systemctl disable --now` of the Docker units the host has, undone by enable", async () => {
    const root = scratchCopy("docker-still-running");
    const { plan } = await planOn(root, { only: ["docker-disable"] });
    const p = plan("docker-disable");
    expect(p.risk).toBe("confirm");
    expect(p.changes).toEqual([
      expect.objectContaining({
        kind: "command",
        argv: ["systemctl", "disable", "--now", "docker.service", "docker.socket"],
        needsRoot: true,
        undo: ["systemctl", "enable", "--now", "docker.socket", "docker.service"],
      }),
    ]);
    expect(p.notes.join("\n")).toContain("sudo apt-get install -y podman-docker");
    expect(p.verify).toContain("docker-still-in-charge");
  });

  it("makes no plan without systemd, or without a docker.service unit", async () => {
    const noSystemd = scratchCopy("docker-still-running");
    rmSync(path.join(noSystemd, "run/systemd"), { recursive: true });
    const a = await planOn(noSystemd, { only: ["docker-disable"] });
    expect(a.planned.unplannable.find((u) => u.fixId === "docker-disable")?.reason).toContain("no systemd");
    const noUnit = scratchCopy("docker-still-running");
    rmSync(path.join(noUnit, "usr/lib/systemd/system/docker.service"));
    const b = await planOn(noUnit, { only: ["docker-disable"] });
    expect(b.planned.unplannable.find((u) => u.fixId === "docker-disable")?.reason).toContain(
      "no docker.service unit",
    );
  });
});
