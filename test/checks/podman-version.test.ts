import { describe, expect, it } from "vitest";
import { check } from "../../checks/podman-version.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

describe("podman-version", () => {
  it("passes Podman 5.2 whose info works for the user", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["podman.ok", "podman.info-ok"]);
    expect(r.find("podman.info-ok").evidence?.rootless).toBe(true);
  });

  it("warns Podman 4.3 (no pasta, no Quadlet) and fails Podman 3.0", async () => {
    const old = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD },
        { user: USER, commands: [{ argv: ["podman", "--version"], stdout: "podman version 4.3.1\n" }] },
      ),
    );
    expect(old.codes[0]).toBe("podman.old");
    const ancient = await runOn(check, "debian-11-userns-off");
    expect(ancient.codes[0]).toBe("podman.too-old");
  });

  it("fails when Podman is not installed, with the distribution's install command", async () => {
    const r = await runOn(check, "no-subuid-entry");
    expect(r.find("podman.missing").remedy).toBe("Install it: sudo apt-get install -y podman");
  });

  it("classifies a failing podman info", async () => {
    const r = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD },
        {
          user: USER,
          commands: [
            { argv: ["podman", "--version"], stdout: "podman version 5.0.0\n" },
            {
              argv: ["podman", "info", "--format", "json"],
              exitCode: 125,
              stderr:
                'time="x" level=warning msg="noise"\nError: cannot find UID/GID for user alice: no subuid ranges found for user "alice" in /etc/subuid\n',
            },
          ],
        },
      ),
    );
    const f = r.find("podman.info-failed");
    expect(f.evidence).toMatchObject({
      cause: "subid-missing",
      error: expect.stringMatching(/^Error: cannot find UID\/GID/),
    });
  });

  it("reports unparsable podman info output and an unreadable version", async () => {
    const r = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD },
        {
          user: USER,
          commands: [
            { argv: ["podman", "--version"], stdout: "podman version banana\n" },
            { argv: ["podman", "info", "--format", "json"], stdout: "{not json" },
          ],
        },
      ),
    );
    expect(r.codes).toEqual(["podman.version-unknown", "podman.info-failed"]);
  });

  it("turns a `podman --version` that never exits into an error, not 'not installed'", async () => {
    const r = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD },
        { user: USER, commands: [{ argv: ["podman", "--version"], hang: true }] },
      ),
    );
    expect(r.status).toBe("error");
    expect(r.error).toContain("did not answer within 3000 ms");
  });
});
