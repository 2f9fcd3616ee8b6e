import { describe, expect, it } from "vitest";
import { parseAssignments, userAssignments } from "../../src/doctor/user-env.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { PASSWD, tempHost, USER } from "../helpers.js";

describe("user environment files", () => {
  it("reads export lines, quotes, comments and environment.d lines; skips other names and comments", () => {
    const text = [
      "# export DOCKER_HOST=unix:///commented.sock",
      'export DOCKER_HOST="unix:///run/user/1000/podman/podman.sock"  # podman',
      "  DOCKER_API_VERSION=1.41 # pinned for DockerSpawner",
      "CONTAINER_HOST='unix:///tmp/a b.sock'",
      "PATH=$HOME/.local/bin:$PATH",
    ].join("\n");
    expect(
      parseAssignments(text, "/home/alice/.profile", ["DOCKER_HOST", "DOCKER_API_VERSION", "CONTAINER_HOST"]),
    ).toEqual([
      {
        name: "DOCKER_HOST",
        value: "unix:///run/user/1000/podman/podman.sock",
        file: "/home/alice/.profile",
        line: 2,
      },
      { name: "DOCKER_API_VERSION", value: "1.41", file: "/home/alice/.profile", line: 3 },
      { name: "CONTAINER_HOST", value: "unix:///tmp/a b.sock", file: "/home/alice/.profile", line: 4 },
    ]);
  });

  it("reads the files in login order, environment.d's .conf files sorted, unreadable ones left out", async () => {
    const root = tempHost({
      "etc/passwd": PASSWD,
      "etc/environment": "DOCKER_HOST=unix:///etc.sock\n",
      "home/alice/.bashrc": "export DOCKER_HOST=unix:///bashrc.sock\n",
      "home/alice/.config/environment.d/90-late.conf": "DOCKER_HOST=unix:///late.sock\n",
      "home/alice/.config/environment.d/10-early.conf": "DOCKER_HOST=unix:///early.sock\n",
      "home/alice/.config/environment.d/README": "DOCKER_HOST=unix:///not-a-conf.sock\n",
      // A folder where ~/.profile belongs: no evidence either way, never a crash.
      "home/alice/.profile/x": "",
    });
    const found = await userAssignments(new FixtureHost(root), USER, ["DOCKER_HOST"]);
    expect(found.map((a) => a.value)).toEqual([
      "unix:///etc.sock",
      "unix:///bashrc.sock",
      "unix:///early.sock",
      "unix:///late.sock",
    ]);
  });
});
