import { describe, expect, it } from "vitest";
import { check } from "../../checks/services-restart.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const ALWAYS = '{"RestartPolicy":{"Name":"always"}}';

describe("services-restart", () => {
  it("fails for Docker and Podman containers nothing starts at boot", async () => {
    const r = await runOn(check, "services-restart-lost");
    const lost = r.find("services-restart.lost");
    expect(lost.status).toBe("fail");
    expect(lost.message).toContain("These will not come back after a reboot");
    expect(lost.evidence?.containers).toEqual([
      "shop-web-1 (docker, restart always)",
      "shop-db-1 (docker, restart unless-stopped)",
      "proxy (podman, restart always)",
    ]);
    expect(lost.message).toContain("docker.service is not enabled");
    expect(lost.remedy).toContain("podlift migrate services --dry-run");
  });

  it("passes when units and podman-restart.service cover them", async () => {
    const r = await runOn(check, "services-restart-covered");
    expect(r.codes).toEqual(["services-restart.ok"]);
  });

  it("fails a rootless user's container with podman-restart enabled but no linger", async () => {
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "run/systemd/system/.keep": "",
        "home/alice/.config/systemd/user/default.target.wants/podman-restart.service": "",
        "_commands/inspect.json": JSON.stringify([
          { Name: "notes", HostConfig: { RestartPolicy: { Name: "always" } } },
        ]),
      },
      {
        user: USER,
        commands: [
          { argv: ["podman", "ps", "-a", "--format", "json"], stdout: '[{"Id": "abcdabcdabcd"}]' },
          { argv: ["podman", "container", "inspect", "abcdabcdabcd"], stdoutFile: "_commands/inspect.json" },
        ],
      },
    );
    const r = await runOn(check, root);
    const lost = r.find("services-restart.lost");
    expect(lost.message).toContain("alice does not linger");
    expect(lost.remedy).toContain("sudo loginctl enable-linger alice");
  });

  it("passes the same user once lingering", async () => {
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "run/systemd/system/.keep": "",
        "var/lib/systemd/linger/alice": "",
        "home/alice/.config/systemd/user/default.target.wants/podman-restart.service": "",
        "_commands/inspect.json": JSON.stringify([
          { Name: "notes", HostConfig: { RestartPolicy: { Name: "always" } } },
        ]),
      },
      {
        user: USER,
        commands: [
          { argv: ["podman", "ps", "-a", "--format", "json"], stdout: '[{"Id": "abcdabcdabcd"}]' },
          { argv: ["podman", "container", "inspect", "abcdabcdabcd"], stdoutFile: "_commands/inspect.json" },
        ],
      },
    );
    expect((await runOn(check, root)).codes).toEqual(["services-restart.ok"]);
  });

  it("warns without systemd, naming the containers", async () => {
    const root = tempHost({
      "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
      "var/lib/docker/containers/x/hostconfig.json": ALWAYS,
      "var/lib/docker/containers/x/config.v2.json": '{"Name":"/web"}',
    });
    const r = await runOn(check, root);
    expect(r.codes).toEqual(["services-restart.no-systemd"]);
    expect(r.find("services-restart.no-systemd").evidence?.containers).toEqual(["docker:web"]);
  });

  it("reports a broken container config and carries on", async () => {
    const root = tempHost({
      "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
      "run/systemd/system/.keep": "",
      "var/lib/docker/containers/bad/hostconfig.json": "{not json",
      "var/lib/docker/containers/bad/config.v2.json": '{"Name":"/bad"}',
      "var/lib/docker/containers/ok/hostconfig.json": ALWAYS,
      "var/lib/docker/containers/ok/config.v2.json": '{"Name":"/web"}',
    });
    const r = await runOn(check, root);
    expect(r.codes).toEqual(["services-restart.unreadable", "services-restart.lost"]);
    expect(r.find("services-restart.lost").evidence?.containers).toEqual(["web (docker, restart always)"]);
  });

  it("takes garbage from podman inspect as unreadable, not as a crash", async () => {
    const root = tempHost(
      { "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n", "run/systemd/system/.keep": "" },
      {
        commands: [
          { argv: ["podman", "ps", "-a", "--format", "json"], stdout: '[{"Id": "abcdabcdabcd"}]' },
          { argv: ["podman", "container", "inspect", "abcdabcdabcd"], stdout: "\u001b[2Jnot json" },
        ],
      },
    );
    const r = await runOn(check, root);
    expect(r.codes).toEqual(["services-restart.unreadable", "services-restart.none"]);
    expect(r.find("services-restart.unreadable").message).not.toContain("\u001b");
  });

  it("passes a host with no containers to restart", async () => {
    const r = await runOn(check, tempHost({ "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n" }));
    expect(r.codes).toEqual(["services-restart.none"]);
  });
});
