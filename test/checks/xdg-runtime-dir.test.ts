import { describe, expect, it } from "vitest";
import { check } from "../../checks/xdg-runtime-dir.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const host = (
  env: Record<string, string>,
  stat: Record<string, object> = {},
  dirs = ["run/user/1000/.keep"],
) =>
  tempHost(Object.fromEntries([["etc/passwd", PASSWD], ...dirs.map((d) => [d, ""])]), {
    user: USER,
    env,
    stat,
  });

describe("xdg-runtime-dir", () => {
  it("passes a proper login session", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["xdg.ok"]);
  });

  it("warns when unset (su without a login) and the folder does not exist", async () => {
    const r = await runOn(check, host({}, {}, []));
    expect(r.codes).toEqual(["xdg.unset", "xdg.missing"]);
    expect(r.status).toBe("warn");
  });

  it("fails root's runtime dir left over after su", async () => {
    const r = await runOn(
      check,
      host({ XDG_RUNTIME_DIR: "/run/user/0" }, { "/run/user/0": { type: "dir", mode: 0o700, uid: 0 } }, [
        "run/user/0/.keep",
      ]),
    );
    expect(r.codes).toEqual(["xdg.unexpected-path", "xdg.wrong-owner"]);
    expect(r.status).toBe("fail");
  });

  it("fails a runtime dir others can enter", async () => {
    const r = await runOn(
      check,
      host({ XDG_RUNTIME_DIR: "/run/user/1000" }, { "/run/user/1000": { mode: 0o755, uid: 1000 } }),
    );
    expect(r.find("xdg.bad-mode").remedy).toBe("chmod 0700 /run/user/1000");
  });

  it("fails a runtime dir that is a file", async () => {
    const r = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD, "run/user/1000": "junk" },
        { user: USER, env: { XDG_RUNTIME_DIR: "/run/user/1000" }, stat: { "/run/user/1000": { uid: 1000 } } },
      ),
    );
    expect(r.find("xdg.wrong-owner").message).toContain("a file");
  });

  it("fails a set but missing runtime dir", async () => {
    const r = await runOn(check, host({ XDG_RUNTIME_DIR: "/run/user/1000" }, {}, []));
    expect(r.find("xdg.missing").status).toBe("fail");
  });
});
