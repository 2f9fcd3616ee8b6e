// The project- and user-dependent compose facts, gathered through a fixture host: what each
// reads, and that what cannot be read is unknown (undefined), never a throw.

import { describe, expect, it } from "vitest";
import { parseProject } from "../../src/compose/project.js";
import {
  bootStarters,
  delegatedControllers,
  gatherContext,
  imageUsers,
  podmanNetworks,
} from "../../src/compose-check/facts.js";
import { hostProbes } from "../../src/doctor/host-probes.js";
import { podmanFacts } from "../../src/doctor/podman-facts.js";
import type { Facts } from "../../src/doctor/types.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { tempHost, USER } from "../helpers.js";

const ROOTLESS = { rootful: false, targetUser: USER } as Facts;
const ROOTFUL = { rootful: true, targetUser: { ...USER, name: "root", uid: 0, home: "/root" } } as Facts;

/** gatherContext as compose check runs it: the doctor's facts, with their shared probes, for this host. */
function gatherWith(host: FixtureHost) {
  return gatherContext(host, { ...ROOTLESS, probes: hostProbes(host), podman: podmanFacts(host) });
}

describe("compose facts", () => {
  it("podmanNetworks: podman network ls as the target user; undefined when podman does not answer", async () => {
    const argv = ["podman", "network", "ls", "--format", "{{.Name}}"];
    const host = new FixtureHost(
      tempHost({}, { user: USER, commands: [{ argv, stdout: "podman\ngopyter_net\n" }] }),
    );
    expect(await podmanNetworks(host, ROOTLESS)).toEqual(new Set(["podman", "gopyter_net"]));
    expect(await podmanNetworks(new FixtureHost(tempHost({}, { user: USER })), ROOTLESS)).toBeUndefined();
  });

  it("bootStarters: podman-restart.service wants links and Quadlet units, rootless and rootful", async () => {
    const rootless = new FixtureHost(
      tempHost({
        "home/alice/.config/systemd/user/default.target.wants/podman-restart.service": "[Unit]\n",
        "home/alice/.config/containers/systemd/web.container":
          "[Container]\nContainerName=shop-web\nImage=x\n",
        "home/alice/.config/containers/systemd/notes.txt": "",
      }),
    );
    expect(await bootStarters(rootless, ROOTLESS)).toEqual({
      podmanRestart: true,
      quadlets: ["web", "shop-web"],
    });
    const rootful = new FixtureHost(
      tempHost({
        "etc/systemd/system/multi-user.target.wants/podman-restart.service": "",
        "etc/containers/systemd/db.container": "[Container]\n",
      }),
    );
    expect(await bootStarters(rootful, ROOTFUL)).toEqual({ podmanRestart: true, quadlets: ["db"] });
    expect(await bootStarters(new FixtureHost(tempHost({})), ROOTLESS)).toEqual({
      podmanRestart: false,
      quadlets: [],
    });
  });

  it("delegatedControllers: the user's cgroup v2 controllers, [] without their cgroup, null on v1", async () => {
    const user = "sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers";
    const v2 = tempHost({
      "sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n",
      [user]: "memory pids\n",
    });
    expect(await delegatedControllers(new FixtureHost(v2), 1000)).toEqual(["memory", "pids"]);
    const noSession = tempHost({
      "sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n",
      "sys/fs/cgroup/user.slice/cgroup.controllers": "cpu memory pids\n",
    });
    expect(await delegatedControllers(new FixtureHost(noSession), 1000)).toEqual([]);
    // A container's view of cgroup v2: no user.slice, so nothing can be said.
    const namespaced = tempHost({ "sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n" });
    expect(await delegatedControllers(new FixtureHost(namespaced), 1000)).toBeUndefined();
    const v1 = tempHost({ "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n" });
    expect(await delegatedControllers(new FixtureHost(v1), 1000)).toBeNull();
    expect(await delegatedControllers(new FixtureHost(tempHost({})), 1000)).toBeUndefined();
  });

  it("imageUsers: only the project's images, from Podman; an image no engine has is absent; rootful undefined", async () => {
    const inspect = (image: string) => [
      "podman",
      "image",
      "inspect",
      "--format",
      "{{.Config.User}}",
      "--",
      image,
    ];
    const host = new FixtureHost(
      tempHost(
        {},
        {
          user: USER,
          commands: [
            { argv: inspect("quay.io/jupyter/base-notebook:2024-01-01"), stdout: "1000\n" },
            { argv: inspect("docker.io/library/redis:7"), stdout: "\n" },
          ],
        },
      ),
    );
    const p = parseProject(
      "/srv/lab/compose.yaml",
      [
        "services:",
        "  lab: { image: 'quay.io/jupyter/base-notebook:2024-01-01' }",
        "  cache: { image: docker.io/library/redis:7 }",
        "  gone: { image: example/missing:1 }",
        "  odd: { image: '--rm; id' }",
        "  broken: { image: [x] }",
        "  none: null",
      ].join("\n"),
      "",
      {},
    );
    expect(await imageUsers(host, ROOTLESS, p)).toEqual(
      new Map([
        ["quay.io/jupyter/base-notebook:2024-01-01", "1000"],
        ["docker.io/library/redis:7", ""],
      ]),
    );
    // The odd name never reaches a command line.
    expect(host.calls.some((c) => c.argv.includes("--rm; id"))).toBe(false);
    expect(await imageUsers(host, ROOTFUL, p)).toBeUndefined();
    // A podman that hangs is asked once, not once per image.
    const hung = new FixtureHost(
      tempHost(
        {},
        { user: USER, commands: [{ argv: ["podman", "image", "inspect"], prefix: true, hang: true }] },
      ),
    );
    expect(await imageUsers(hung, ROOTLESS, p)).toEqual(new Map());
    expect(hung.calls).toHaveLength(1);
  });

  it("gatherContext: the user manager and boot starters as alice or root; unknown as another user", async () => {
    const root = tempHost({
      "run/user/1000/systemd/private": "",
      "run/systemd/system/.keep": "",
      "var/lib/systemd/linger/alice": "",
      "home/alice/.config/containers/systemd/app.container": "[Container]\n",
    });
    const asAlice = await gatherWith(new FixtureHost(root, { user: USER }));
    expect(asAlice.userManager).toBe(true);
    expect(asAlice.hostRestarts).toEqual({
      systemd: true,
      lingers: true,
      podmanRestart: false,
      quadlets: ["app"],
    });
    const asRoot = await gatherWith(new FixtureHost(root));
    expect(asRoot.userManager).toBe(true);
    const bob = { ...USER, name: "bob", uid: 1001, home: "/home/bob" };
    const asBob = await gatherWith(new FixtureHost(root, { user: bob }));
    expect(asBob.userManager).toBeUndefined();
    expect(asBob.hostRestarts).toEqual({ systemd: true, lingers: true });
    const noManager = await gatherWith(new FixtureHost(tempHost({}), { user: USER }));
    expect(noManager.userManager).toBe(false);
    expect(noManager.delegatedControllers).toBeUndefined();
    expect(noManager.podmanNetworks).toBeUndefined();
  });
});
