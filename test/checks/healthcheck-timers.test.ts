import { describe, expect, it } from "vitest";
import { check } from "../../checks/healthcheck-timers.js";
import type { FixtureSpec } from "../../src/host/fixture-host.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

/** alice's host whose `podman ps -a` lists these rows, then these further commands. */
const listing = (rows: object[], more: FixtureSpec["commands"] = []) =>
  tempHost({ "etc/passwd": PASSWD }, { user: USER, commands: [ps(JSON.stringify(rows)), ...(more ?? [])] });

const ps = (stdout: string, exitCode = 0) => ({
  argv: ["podman", "ps", "-a", "--format", "json"],
  stdout,
  exitCode,
});

describe("healthcheck-timers", () => {
  it("fails, naming them, when containers have healthchecks and the user has no systemd manager", async () => {
    const r = await runOn(check, "ubuntu-22.04-podman3");
    expect(r.status).toBe("fail");
    expect(r.find("health.unscheduled")).toMatchObject({
      evidence: { path: "/run/user/1000/systemd", containers: ["shop_web_1"] },
    });
    expect(r.find("health.unscheduled").remedy).toContain("sudo loginctl enable-linger alice");
    expect(r.host.calls.map((c) => c.argv.join(" "))).toContain(
      "podman container inspect 3f1c0a9e2b7d 8a2d44c1e0f3",
    );
  });

  it("passes when the user's manager runs (Fedora 40)", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["health.timers-ok"]);
    // Nothing to list when timers work.
    expect(r.host.calls).toEqual([]);
  });

  it("passes rootful on a systemd host, and warns rootful without one", async () => {
    const booted = tempHost({ "etc/passwd": PASSWD, "run/systemd/system/.keep": "" });
    expect((await runOn(check, booted)).codes).toEqual(["health.timers-ok"]);
    const bare = tempHost({ "etc/passwd": PASSWD }, { commands: [ps("[]")] });
    const r = await runOn(check, bare);
    expect(r.find("health.no-timers").message).toContain("none has one yet");
    expect(r.find("health.no-timers").remedy).toContain("podman healthcheck run NAME");
  });

  it("leaves the canary's own containers out of the listing (a doctor run's, maybe in progress)", async () => {
    const root = listing([
      { Id: "0123456789ab", Names: ["podlift-canary-1"], Labels: { "io.podlift.canary": "true" } },
    ]);
    const r = await runOn(check, root);
    expect(r.find("health.no-timers").message).toContain("none has one yet");
    expect(r.host.calls.map((c) => c.argv[1])).not.toContain("container");
  });

  it("names a container from ps's Status alone when inspect fails", async () => {
    const root = listing(
      [{ Id: "0123456789ab", Names: ["api\u001b[2J"], Status: "Up 2 minutes (unhealthy)" }],
      [{ argv: ["podman", "container", "inspect"], prefix: true, exitCode: 125, stderr: "boom" }],
    );
    const r = await runOn(check, root);
    expect(r.find("health.unscheduled").evidence?.containers).toEqual(["api\\x1b[2J"]);
  });

  it("warns without guessing when the containers cannot be listed", async () => {
    const garbage = tempHost({ "etc/passwd": PASSWD }, { user: USER, commands: [ps("Error: no JSON\n")] });
    expect((await runOn(check, garbage)).find("health.no-timers").message).toContain(
      "podman ps printed no JSON",
    );
    const broken = tempHost({ "etc/passwd": PASSWD }, { user: USER, commands: [ps("", 125)] });
    expect((await runOn(check, broken)).find("health.no-timers").message).toContain("podman ps exited 125");
    const missing = tempHost({ "etc/passwd": PASSWD }, { user: USER });
    expect((await runOn(check, missing)).find("health.no-timers").message).toContain(
      "podman is not installed",
    );
  });
});
