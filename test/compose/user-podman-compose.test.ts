// Compose rules see the podman-compose the target user installed with pip --user, not only root's.
import { describe, expect, it } from "vitest";
import { gatherContext } from "../../src/compose-check/facts.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { HOSTS } from "../helpers.js";

describe("compose facts: the user's own podman-compose", () => {
  it("takes ~/.local/bin/podman-compose's version when none is on root's PATH (Ubuntu 22.04, 1.0.6)", async () => {
    const host = new FixtureHost(`${HOSTS}/ubuntu-22.04-podman3`);
    const facts = await gatherFacts(host);
    const context = await gatherContext(host, facts);
    expect(context.podmanCompose).toBe("1.0.6");
    // Asked once, shared with the doctor's podman-compose check.
    await facts.probes.userComposeProviders(facts.targetUser);
    const runs = host.calls.filter((c) => c.argv[0] === "/home/alice/.local/bin/podman-compose");
    expect(runs).toHaveLength(1);
  });

  it("prefers the one on root's PATH", async () => {
    const host = new FixtureHost(`${HOSTS}/fedora-40-rootless`);
    const context = await gatherContext(host, await gatherFacts(host));
    expect(context.podmanCompose).toBe("1.2.0");
  });
});
