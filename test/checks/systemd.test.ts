import { describe, expect, it } from "vitest";
import { check } from "../../checks/systemd.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

describe("systemd", () => {
  it("passes systemd with a running user manager", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["systemd.ok", "systemd.user-manager-ok"]);
  });

  it("warns when the user has no systemd user manager", async () => {
    const r = await runOn(check, "debian-11-userns-off");
    expect(r.find("systemd.user-manager-absent").message).toContain("Failed to connect to bus");
  });

  it("warns on a host without systemd, naming PID 1", async () => {
    const r = await runOn(check, tempHost({ "etc/passwd": PASSWD, "proc/1/comm": "tini\n" }, { user: USER }));
    expect(r.find("systemd.absent").evidence?.pid1).toBe("tini");
  });

  it("copes with an unreadable /proc", async () => {
    const r = await runOn(check, tempHost({ "etc/passwd": PASSWD }, { user: USER }));
    expect(r.find("systemd.absent").message).toContain("PID 1 is unknown");
  });
});
