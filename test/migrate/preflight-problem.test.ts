// What the preflight walk's findings say: every kind, each file named (bounded), with the fix.
import { describe, expect, it } from "vitest";
import { preflightProblem } from "../../src/migrate/plan.js";
import type { Found, Preflight } from "../../src/migrate/source.js";

const none = (): Found => ({ paths: [], count: 0 });
const some = (paths: string[], count = paths.length): Found => ({ paths, count });
const base = (): Preflight => ({
  digest: "walk:x",
  entries: 10,
  bytes: 4096,
  maxUid: 0,
  maxGid: 0,
  longPaths: none(),
  sockets: none(),
  devices: none(),
  sparse: none(),
  highIds: none(),
  aclIds: none(),
  trusted: none(),
  highestAclId: 0,
});
const alice = { name: "alice", uid: 1000, gid: 1000, home: "/home/alice", shell: "/bin/sh" };
const limits = { uid: 65536, gid: 65536 };

describe("preflight problems", () => {
  it("nothing found: nothing to say", () => {
    expect(preflightProblem(base(), limits, alice)).toBeNull();
  });

  it("ids just past the ranges: more subordinate ids; far past them: chown", () => {
    const near = { ...base(), maxUid: 70000, maxGid: 70000, highIds: some(["f (uid 70000, gid 70000)"]) };
    expect(preflightProblem(near, limits, alice)).toContain("give alice more subordinate ids");
    const far = { ...base(), maxUid: 3000000, maxGid: 0, highIds: some(["g (uid 3000000, gid 0)"], 12) };
    const text = preflightProblem(far, limits, alice) ?? "";
    expect(text).toContain("12 file(s): g (uid 3000000, gid 0) (and 11 more)");
    expect(text).toContain("chown them in Docker");
    expect(text).not.toContain("usermod");
  });

  it("device nodes, trusted.* xattrs and ACL ids matter only rootless; long paths always", () => {
    const pre = {
      ...base(),
      devices: some(["null-dev"]),
      trusted: some(["t (trusted.x)"]),
      aclIds: some(["a (ACL user 900000)"]),
      highestAclId: 900000,
      longPaths: some(["d/d/f"]),
    };
    const rootless = preflightProblem(pre, limits, alice) ?? "";
    for (const part of [
      "1 device node(s)",
      "null-dev",
      "t (trusted.x)",
      "a (ACL user 900000)",
      "setfacl -x",
      "1 path(s) longer than 4095 bytes",
    ])
      expect(rootless).toContain(part);
    expect(preflightProblem(pre, null, null)).toBe(
      '1 path(s) longer than 4095 bytes, which tar cannot create ("File name too long"): d/d/f; shorten them (rename a folder) in Docker first',
    );
  });
});
