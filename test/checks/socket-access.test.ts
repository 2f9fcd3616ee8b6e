import { describe, expect, it } from "vitest";
import { check } from "../../checks/socket-access.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const GROUP = "root:x:0:\npodman:x:990:bob\nalice:x:1000:\n";
const ROOTFUL = "/run/podman/podman.sock";
const host = (files: Record<string, string>, stat = {}, env = {}) =>
  tempHost({ "etc/passwd": PASSWD, "etc/group": GROUP, ...files }, { user: USER, stat, env });

describe("socket-access", () => {
  it("fails a rootless user's DOCKER_HOST at root's socket whose group the user lacks (Ubuntu 22.04)", async () => {
    const r = await runOn(check, "ubuntu-22.04-podman3");
    expect(r.status).toBe("fail");
    expect(r.codes).toEqual(["socket-access.rootful-socket", "socket-access.group-missing"]);
    expect(r.find("socket-access.rootful-socket").evidence).toMatchObject({
      variable: "DOCKER_HOST",
      where: "/home/alice/.profile:5",
      path: ROOTFUL,
    });
    expect(r.find("socket-access.group-missing")).toMatchObject({
      evidence: { group: "podman", gid: 990, mode: "0660" },
      fixes: ["socket-group"],
    });
    expect(r.find("socket-access.group-missing").remedy).toContain("sudo usermod -aG podman alice");
  });

  it("passes when nothing is set, and when the user's own socket is named", async () => {
    expect((await runOn(check, host({}))).codes).toEqual(["socket-access.none"]);
    const own = "/run/user/1000/podman/podman.sock";
    const r = await runOn(
      check,
      host(
        { "home/alice/.config/environment.d/podman.conf": `CONTAINER_HOST=unix://${own}\n` },
        { [own]: { type: "socket", mode: 0o600, uid: 1000, gid: 1000 } },
      ),
    );
    expect(r.codes).toEqual(["socket-access.ok"]);
    expect(r.status).toBe("pass");
  });

  it("warns only about root's socket when the user is in its group", async () => {
    const r = await runOn(
      check,
      host(
        { "etc/group": "podman:x:990:alice\n" },
        { [ROOTFUL]: { type: "socket", mode: 0o660, uid: 0, gid: 990 } },
        { DOCKER_HOST: `unix://${ROOTFUL}` },
      ),
    );
    expect(r.codes).toEqual(["socket-access.rootful-socket", "socket-access.ok"]);
    expect(r.find("socket-access.rootful-socket").evidence?.where).toBe("podlift's environment");
  });

  it("fails a socket no group opens, and warns about one that is gone", async () => {
    const r = await runOn(
      check,
      host(
        {
          "home/alice/.bashrc":
            'export DOCKER_HOST="unix:///srv/engine.sock"\nexport CONTAINER_HOST=unix:///gone.sock\n',
        },
        { "/srv/engine.sock": { type: "socket", mode: 0o600, uid: 0, gid: 0 } },
      ),
    );
    expect(r.codes).toEqual(["socket-access.denied", "socket-access.missing"]);
  });

  it("reads a broken /etc/group as no memberships, and names an unknown group by gid", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "etc/group/x": "", "home/alice/.profile": `DOCKER_HOST=unix://${ROOTFUL}\n` },
      { user: USER, stat: { [ROOTFUL]: { type: "socket", mode: 0o660, uid: 0, gid: 990 } } },
    );
    const r = await runOn(check, root);
    expect(r.find("socket-access.group-missing")).toMatchObject({ evidence: { group: null }, fixes: [] });
    expect(r.find("socket-access.group-missing").remedy).toContain("usermod -aG 990 alice");
  });

  it("is skipped for root", async () => {
    const r = await runOn(check, tempHost({ "etc/passwd": PASSWD }));
    expect(r.status).toBe("skip");
  });
});
