import { describe, expect, it } from "vitest";
import { check } from "../../checks/user-namespaces.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const IDMAP_SETUID = {
  "/usr/bin/newuidmap": { mode: 0o4755, uid: 0 },
  "/usr/bin/newgidmap": { mode: 0o4755, uid: 0 },
};
const base = {
  "etc/passwd": PASSWD,
  "proc/sys/user/max_user_namespaces": "63465\n",
  "usr/bin/newuidmap": "",
  "usr/bin/newgidmap": "",
};

describe("user-namespaces", () => {
  it("passes on a healthy Fedora host, with file capabilities and a real namespace probe", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.status).toBe("pass");
    expect(r.codes).toEqual([
      "userns.max-ok",
      "userns.idmap-ok",
      "userns.idmap-ok",
      "userns.probe-ok",
      "userns.podman-map-ok",
    ]);
    expect(r.find("userns.podman-map-ok").message).toContain("65537");
    expect(r.host.calls.map((c) => c.argv.join(" "))).toContain("unshare --user --map-root-user true");
  });

  it("fails Ubuntu 24.04's AppArmor restriction when no profile covers Podman", async () => {
    const r = await runOn(check, "ubuntu-24.04-desktop");
    expect(r.status).toBe("fail");
    expect(r.codes).toContain("userns.apparmor-restricted");
    expect(r.find("userns.probe-failed").status).toBe("fail");
    expect(r.find("userns.apparmor-restricted").remedy).toContain("userns,");
  });

  it("passes the restriction when an AppArmor profile allows userns for podman, and only warns about unshare", async () => {
    const root = tempHost(
      {
        ...base,
        "proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n",
        "etc/apparmor.d/podman":
          "abi <abi/4.0>,\nprofile podman /usr/bin/podman flags=(unconfined) {\n  userns,\n}\n",
      },
      {
        user: USER,
        stat: IDMAP_SETUID,
        commands: [
          { argv: ["unshare", "--user", "--map-root-user", "true"], exitCode: 1, stderr: "write failed" },
          { argv: ["podman", "unshare", "cat", "/proc/self/uid_map"], stdout: "0 1000 1\n1 100000 65536\n" },
        ],
      },
    );
    const r = await runOn(check, root);
    expect(r.find("userns.apparmor-profile").evidence?.profile).toBe("/etc/apparmor.d/podman");
    expect(r.find("userns.probe-failed").status).toBe("warn");
    expect(r.status).toBe("warn");
  });

  it("fails Debian 11 with unprivileged_userns_clone=0, and the probe agrees", async () => {
    const r = await runOn(check, "debian-11-userns-off");
    expect(r.codes).toContain("userns.clone-disabled");
    expect(r.codes).toContain("userns.probe-failed");
    expect(r.find("userns.clone-disabled").remedy).toContain("kernel.unprivileged_userns_clone=1");
  });

  it("fails max_user_namespaces = 0 and a kernel without user namespaces", async () => {
    const zero = await runOn(
      check,
      tempHost({ ...base, "proc/sys/user/max_user_namespaces": "0\n" }, { user: USER, stat: IDMAP_SETUID }),
    );
    expect(zero.codes).toContain("userns.max-zero");
    const none = await runOn(check, tempHost({ "etc/passwd": PASSWD }, { user: USER }));
    expect(none.codes).toContain("userns.unsupported");
  });

  it("fails missing idmap helpers and helpers without setuid or capabilities", async () => {
    const missing = await runOn(
      check,
      tempHost({ "etc/passwd": PASSWD, "proc/sys/user/max_user_namespaces": "10\n" }, { user: USER }),
    );
    expect(missing.findings.filter((f) => f.code === "userns.idmap-missing")).toHaveLength(2);
    expect(missing.find("userns.idmap-missing").remedy).toContain("uidmap");
    const plain = await runOn(
      check,
      tempHost(base, {
        user: USER,
        stat: {
          "/usr/bin/newuidmap": { mode: 0o755, uid: 0 },
          "/usr/bin/newgidmap": { mode: 0o755, uid: 0 },
        },
        commands: [{ argv: ["getcap"], prefix: true, stdout: "" }],
      }),
    );
    expect(plain.find("userns.idmap-no-privilege").status).toBe("fail");
  });

  it("reads Podman's map from podman info (no podman unshare of its own), and fails on the user's id alone", async () => {
    const info = (uidmap: object[] | null) => ({
      argv: ["podman", "info", "--format", "json"],
      stdout: JSON.stringify({ host: { idMappings: { uidmap, gidmap: uidmap } } }),
    });
    const on = (commands: object[]) =>
      runOn(check, tempHost(base, { user: USER, stat: IDMAP_SETUID, commands: commands as never }));
    const single = await on([info([{ container_id: 0, host_id: 1000, size: 1 }])]);
    expect(single.find("userns.podman-map-single")).toMatchObject({
      status: "fail",
      evidence: { uidMap: ["0 1000 1"], source: "podman info" },
    });
    const ranges = await on([
      info([
        { container_id: 0, host_id: 1000, size: 1 },
        { container_id: 1, host_id: 100000, size: 65536 },
      ]),
    ]);
    expect(ranges.find("userns.podman-map-ok").message).toContain("65537");
    expect(ranges.host.calls.map((c) => c.argv.join(" "))).not.toContain(
      "podman unshare cat /proc/self/uid_map",
    );
    // A podman info that lists no maps: podman unshare is asked instead.
    const fallback = await on([
      info(null),
      { argv: ["podman", "unshare", "cat", "/proc/self/uid_map"], stdout: "0 1000 1\n" },
    ]);
    expect(fallback.find("userns.podman-map-single").evidence).toMatchObject({ source: "podman unshare" });
    // A podman info that fails: Podman cannot enter the namespace, said with its error.
    const failed = await on([
      {
        argv: ["podman", "info", "--format", "json"],
        exitCode: 125,
        stderr: 'Error: cannot set up namespace using "/usr/bin/newuidmap": exit status 1\n',
      },
    ]);
    expect(failed.find("userns.podman-unshare-failed")).toMatchObject({
      status: "fail",
      evidence: { exitCode: 125, source: "podman info" },
    });
  });

  it("reports a garbage sysctl value instead of crashing", async () => {
    const r = await runOn(
      check,
      tempHost(
        { ...base, "proc/sys/user/max_user_namespaces": "\u0000\u00ffzz" },
        { user: USER, stat: IDMAP_SETUID },
      ),
    );
    expect(r.codes).toContain("userns.unreadable");
    expect(r.status).not.toBe("error");
  });

  it("ends a probe that never exits at the run's --timeout, as an error of this check alone", async () => {
    const root = tempHost(base, {
      user: USER,
      stat: IDMAP_SETUID,
      commands: [{ argv: ["unshare"], prefix: true, hang: true }],
    });
    const started = Date.now();
    const r = await runOn(check, root, { timeoutMs: 300 });
    // No longer limit of its own: --timeout binds this check like every other (the canary's
    // podman run is the one exception).
    expect(Date.now() - started).toBeLessThan(1300);
    expect(r.status).toBe("error");
    expect(r.codes).toEqual(["check.timeout"]);
  });

  it("reports the probe's own 3 s limit as a finding when the run allows more", async () => {
    const root = tempHost(base, {
      user: USER,
      stat: IDMAP_SETUID,
      commands: [{ argv: ["unshare"], prefix: true, hang: true }],
    });
    const r = await runOn(check, root, { timeoutMs: 6000 });
    expect(r.status).toBe("fail");
    expect(r.find("userns.probe-failed").message).toContain("did not finish within 3000 ms");
  });
});
