import { describe, expect, it } from "vitest";
import { check } from "../../checks/canary.js";
import { classify } from "../../src/classify.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

describe("canary", () => {
  it("starts a container with and without a network from a tree of host binaries", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["canary.ok", "canary.network-ok"]);
    const tree = r.host.calls.find((c) => c.argv[0] === "<temp-tree>");
    expect(tree?.argv).toEqual([
      "<temp-tree>",
      "/usr/bin/true",
      "/lib64/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
      "etc",
      "dev",
      "proc",
      "sys",
      "run",
      "tmp",
    ]);
    const runs = r.host.calls.filter((c) => c.argv[1] === "run").map((c) => c.argv.join(" "));
    expect(runs).toEqual([
      "podman run --rm --network none --rootfs /tmp/podlift-fixture-tree /usr/bin/true",
      "podman run --rm --rootfs /tmp/podlift-fixture-tree /usr/bin/true",
    ]);
  });

  it("classifies a failure once, instead of dumping stderr twice", async () => {
    const r = await runOn(check, "debian-11-userns-off");
    expect(r.codes).toEqual(["canary.failed"]);
    expect(r.find("canary.failed").evidence).toMatchObject({
      cause: "userns-denied",
      error: "Error: cannot clone: Operation not permitted",
    });
  });

  it("fails when Podman is absent", async () => {
    const r = await runOn(check, "no-subuid-entry");
    expect(r.codes).toEqual(["canary.no-podman"]);
  });

  it("reports a run that hangs as a timeout cause, within the check's deadline", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD },
      {
        user: USER,
        commands: [
          { argv: ["podman", "--version"], stdout: "podman version 5.0.0\n" },
          { argv: ["podman", "run"], prefix: true, hang: true },
        ],
      },
    );
    // A 200 ms deadline on the check itself (the real one is 60 s).
    const r = await runOn({ ...check, timeoutMs: 200 }, root, { timeoutMs: 200 });
    expect(r.status).toBe("error");
    expect(r.find("check.timeout").evidence).toEqual({ timeoutMs: 200 });
  });

  it("maps the errors seen in the field to causes", () => {
    expect(
      classify(
        "Error: runc: runc create failed: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted",
      ).code,
    ).toBe("rlimit");
    expect(
      classify('Error: /usr/bin/slirp4netns failed: "open(\\"/dev/net/tun\\"): Permission denied').code,
    ).toBe("tun-device");
    expect(classify('Error: short-name "postgres" did not resolve to an alias').code).toBe("short-name");
    expect(classify("something new").code).toBe("unknown");
  });
});
