import { describe, expect, it } from "vitest";
import { check } from "../../checks/linger.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

describe("linger", () => {
  it("passes a user who lingers", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["linger.ok"]);
  });

  it("warns a user who does not linger, with the loginctl command", async () => {
    const r = await runOn(check, "ubuntu-24.04-desktop");
    expect(r.find("linger.disabled").remedy).toBe("sudo loginctl enable-linger alice");
  });

  it("warns that lingering does not exist without systemd", async () => {
    const r = await runOn(
      check,
      tempHost({ "etc/passwd": PASSWD, "var/lib/systemd/linger/alice": "" }, { user: USER }),
    );
    expect(r.codes).toEqual(["linger.no-systemd"]);
  });

  it("does not take a stray file for systemd", async () => {
    const r = await runOn(
      check,
      tempHost({ "etc/passwd": PASSWD, "run/systemd/system": "not a dir" }, { user: USER }),
    );
    expect(r.codes).toEqual(["linger.no-systemd"]);
  });
});
