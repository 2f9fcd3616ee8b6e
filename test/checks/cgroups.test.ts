import { describe, expect, it } from "vitest";
import { check } from "../../checks/cgroups.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const slice = "sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers";

describe("cgroups", () => {
  it("passes cgroup v2 with controllers delegated to the user", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["cgroups.v2", "cgroups.delegated"]);
  });

  it("warns when cpu and io are not delegated, with the drop-in to add", async () => {
    const r = await runOn(
      check,
      tempHost(
        {
          "etc/passwd": PASSWD,
          "sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n",
          [slice]: "memory pids\n",
        },
        { user: USER },
      ),
    );
    const f = r.find("cgroups.not-delegated");
    expect(f.evidence?.missing).toEqual(["cpu", "io"]);
    expect(f.remedy).toContain("Delegate=cpu cpuset io memory pids");
  });

  it("warns on cgroup v1", async () => {
    const r = await runOn(
      check,
      tempHost({ "etc/passwd": PASSWD, "sys/fs/cgroup/memory/.keep": "" }, { user: USER }),
    );
    expect(r.find("cgroups.v1").message).toContain("cannot have resource limits");
  });

  it("warns when no user slice exists yet", async () => {
    const r = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD, "sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n" },
        { user: USER },
      ),
    );
    expect(r.codes).toEqual(["cgroups.v2", "cgroups.no-user-slice"]);
  });

  it("warns when no cgroup filesystem is visible", async () => {
    const r = await runOn(check, tempHost({ "etc/passwd": PASSWD }, { user: USER }));
    expect(r.codes).toEqual(["cgroups.unknown"]);
  });
});
