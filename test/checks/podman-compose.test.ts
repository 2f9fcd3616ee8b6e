import { describe, expect, it } from "vitest";
import { check } from "../../checks/podman-compose.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

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

describe("podman-compose in the target user's own folders", () => {
  it("finds pip --user's podman-compose in ~/.local/bin, on the user's PATH by ~/.profile", async () => {
    const r = await runOn(check, "ubuntu-22.04-podman3");
    expect(r.status).toBe("pass");
    expect(r.codes).toEqual(["compose.provider-ok"]);
    expect(r.find("compose.provider-ok").evidence).toEqual({
      command: "/home/alice/.local/bin/podman-compose --version",
      version: "podman-composer version 1.0.6",
      user: "alice",
    });
  });

  it("runs it as the target user when podlift runs as root", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "home/alice/.local/bin/podman-compose": "#!/usr/bin/python3\n" },
      {
        env: { SUDO_USER: "alice" },
        stat: { "/home/alice/.local/bin/podman-compose": { mode: 0o755, uid: 1000 } },
        commands: [
          {
            argv: ["/home/alice/.local/bin/podman-compose", "--version"],
            user: "alice",
            stdout: "podman-compose version 1.2.0\npodman version 5.2.2\n",
          },
        ],
      },
    );
    const r = await runOn(check, root);
    // No PATH line for ~/.local/bin in alice's files: it works, but not in her shells.
    expect(r.codes).toEqual(["compose.user-provider-off-path"]);
    expect(r.find("compose.user-provider-off-path").remedy).toContain('export PATH="$HOME/.local/bin:$PATH"');
    expect(r.host.calls).toContainEqual({
      argv: ["/home/alice/.local/bin/podman-compose", "--version"],
      user: "alice",
    });
  });

  it("still reports the provider missing when the user's copy is broken", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "home/alice/bin/docker-compose": "x" },
      {
        user: USER,
        stat: { "/home/alice/bin/docker-compose": { mode: 0o755 } },
        commands: [
          {
            argv: ["/home/alice/bin/docker-compose", "--version"],
            exitCode: 1,
            stderr: "ModuleNotFoundError: No module named 'compose'\n",
          },
        ],
      },
    );
    const r = await runOn(check, root);
    expect(r.codes).toEqual(["compose.provider-missing", "compose.user-provider-broken"]);
    expect(r.find("compose.user-provider-broken").message).toContain("ModuleNotFoundError");
  });

  it("ignores a file that is not executable", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "home/alice/.local/bin/podman-compose": "x" },
      { user: USER, stat: { "/home/alice/.local/bin/podman-compose": { mode: 0o644 } } },
    );
    expect((await runOn(check, root)).codes).toEqual(["compose.provider-missing"]);
  });
});
