import { describe, expect, it } from "vitest";
import { check } from "../../checks/shared-mount.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

describe("shared-mount", () => {
  it("passes a shared root", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["mount.shared"]);
  });

  it("warns a private root, reading the last mount stacked on /", async () => {
    const mountinfo =
      "20 1 253:1 / / rw shared:1 - ext4 /dev/vda1 rw\n501 20 0:50 / / rw - overlay overlay rw,lowerdir=/a\n";
    const r = await runOn(
      check,
      tempHost({ "etc/passwd": PASSWD, "proc/self/mountinfo": mountinfo }, { user: USER }),
    );
    expect(r.codes).toEqual(["mount.not-shared"]);
  });

  it("warns when the mount table is missing or garbage", async () => {
    const missing = await runOn(check, tempHost({ "etc/passwd": PASSWD }, { user: USER }));
    expect(missing.codes).toEqual(["mount.unknown"]);
    const garbage = await runOn(
      check,
      tempHost({ "etc/passwd": PASSWD, "proc/self/mountinfo": "\u0000\u0001 nonsense\n" }, { user: USER }),
    );
    expect(garbage.codes).toEqual(["mount.unknown"]);
  });
});
