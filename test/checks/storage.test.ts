import { describe, expect, it } from "vitest";
import { check } from "../../checks/storage.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const info = (store: object) => JSON.stringify({ host: {}, store });
const host = (mountinfo: string, store: object | null) =>
  tempHost(
    { "etc/passwd": PASSWD, "proc/self/mountinfo": mountinfo },
    {
      user: USER,
      commands: store ? [{ argv: ["podman", "info", "--format", "json"], stdout: info(store) }] : [],
    },
  );
const ROOT = "20 1 253:1 / / rw shared:1 - ext4 /dev/vda1 rw\n";

describe("storage", () => {
  it("passes overlay on a local disk", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.find("storage.ok").evidence).toMatchObject({
      driver: "overlay",
      filesystem: "ext4",
      graphRoot: "/home/dev/.local/share/containers/storage",
    });
  });

  it("fails rootless storage on an NFS home, even without podman info", async () => {
    const r = await runOn(
      check,
      host(`${ROOT}40 20 0:60 / /home rw shared:5 - nfs4 server:/export/home rw\n`, null),
    );
    expect(r.find("storage.network-fs").evidence).toMatchObject({ filesystem: "nfs4", mountPoint: "/home" });
  });

  it("warns on vfs and fails a filesystem without d_type", async () => {
    const r = await runOn(
      check,
      host(ROOT, {
        graphDriverName: "vfs",
        graphRoot: "/home/alice/s",
        graphStatus: { "Supports d_type": "false" },
      }),
    );
    expect(r.codes).toEqual(["storage.vfs", "storage.no-dtype"]);
  });

  it("copes with an empty mount table", async () => {
    const r = await runOn(check, host("", null));
    expect(r.find("storage.ok").message).toContain("unknown filesystem");
  });
});
