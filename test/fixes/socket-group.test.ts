import { describe, expect, it } from "vitest";
import { fix } from "../../fixes/socket-group.js";
import { scratchCopy } from "../helpers.js";
import { planOn } from "./fix-helpers.js";

describe("socket-group", () => {
  it("plans usermod -aG for the socket's group, undone by gpasswd -d (Ubuntu 22.04)", async () => {
    const { plan } = await planOn(scratchCopy("ubuntu-22.04-podman3"), { only: ["socket-group"] });
    const p = plan("socket-group");
    expect(p.risk).toBe("confirm");
    expect(p.changes).toEqual([
      expect.objectContaining({
        kind: "command",
        argv: ["usermod", "-aG", "podman", "alice"],
        needsRoot: true,
        undo: ["gpasswd", "-d", "alice", "podman"],
      }),
    ]);
    expect(p.notes.join("\n")).toContain("root-equivalent");
  });

  it("declines a group name that is not a plain name", async () => {
    const { host, facts } = await planOn(scratchCopy("ubuntu-22.04-podman3"), { only: ["socket-group"] });
    const finding = {
      code: "socket-access.group-missing",
      status: "fail" as const,
      message: "",
      evidence: { group: "podman; rm -rf /" },
    };
    expect(await fix.plan({ host, facts }, [finding])).toBe("the socket's group has no name podlift can use");
  });
});
