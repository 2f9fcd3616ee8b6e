import { describe, expect, it } from "vitest";
import { check } from "../../checks/selinux-mode.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const host = (files: Record<string, string>) => tempHost({ "etc/passwd": PASSWD, ...files }, { user: USER });

describe("selinux-mode", () => {
  it("fails unlabeled bind mounts of a compose file on an enforcing RHEL 9 host", async () => {
    const r = await runOn(check, "rhel-9-selinux", { compose: "/_inputs/compose.yaml" });
    expect(r.status).toBe("fail");
    const f = r.find("selinux.bind-unlabeled");
    // ./pgdata has :Z, certs is a named volume: neither is listed.
    expect(f.evidence?.mounts).toEqual([
      "line 9: web: ./site:/usr/share/nginx/html",
      "line 10: web: ./conf/nginx.conf:/etc/nginx/nginx.conf",
      "line 16: db: ./init:/docker-entrypoint-initdb.d",
    ]);
    expect(f.remedy).toContain(":Z relabels the host folder");
  });

  it("passes an enforcing host without a compose file", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["selinux.ok"]);
    expect(r.find("selinux.ok").message).toBe("SELinux is enforcing and configured enforcing.");
  });

  it("warns when the running mode and the configured mode differ", async () => {
    const r = await runOn(
      check,
      host({ "sys/fs/selinux/enforce": "0", "etc/selinux/config": "SELINUX=enforcing\n" }),
    );
    expect(r.find("selinux.mode-mismatch").message).toContain("permissive now but configured as enforcing");
  });

  it("warns about a nonsense SELINUX= value", async () => {
    const r = await runOn(
      check,
      host({ "sys/fs/selinux/enforce": "1", "etc/selinux/config": "SELINUX=\u0000maybe\n" }),
    );
    expect(r.status).toBe("pass"); // the regex reads a word; "\u0000maybe" has none: configured is unknown
    const r2 = await runOn(
      check,
      host({ "sys/fs/selinux/enforce": "1", "etc/selinux/config": "SELINUX=sometimes\n" }),
    );
    expect(r2.codes).toEqual(["selinux.config-invalid"]);
  });

  it("ignores bind labels on a host without SELinux", async () => {
    const r = await runOn(check, "gpu-stale-cdi");
    expect(r.find("selinux.ok").message).toContain("not active");
  });
});
