import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../checks/host-files.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

describe("host-files", () => {
  it("passes with the distribution, kernel and target user", async () => {
    const root = tempHost(
      { "etc/os-release": OS, "etc/passwd": PASSWD, "proc/sys/kernel/osrelease": "6.1.0-18-amd64\n" },
      { user: USER },
    );
    const r = await runOn(check, root);
    expect(r.status).toBe("pass");
    expect(r.find("host.ok").message).toBe(
      "Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64, target user alice (uid 1000).",
    );
  });

  it("fails when os-release is a folder, and the run still ends with a report", async () => {
    const root = tempHost({ "etc/passwd": PASSWD }, { user: USER });
    mkdirSync(path.join(root, "etc/os-release"));
    const r = await runOn(check, root);
    expect(r.status).toBe("fail");
    expect(r.find("host.os-release-unreadable")).toMatchObject({
      evidence: { path: "/etc/os-release", kind: "dir" },
      message: expect.stringContaining("/etc/os-release is a folder, expected a regular file"),
    });
  });

  it("reports a FIFO at os-release without ever opening it", async () => {
    const root = tempHost({ "etc/passwd": PASSWD }, { user: USER });
    execFileSync("mkfifo", [path.join(root, "etc/os-release")]);
    const started = Date.now();
    const r = await runOn(check, root);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.find("host.os-release-unreadable").evidence).toMatchObject({ kind: "fifo" });
  });

  it("reports a symlink loop at /proc/sys as an unreadable kernel release", async () => {
    const root = tempHost({ "etc/os-release": OS, "etc/passwd": PASSWD }, { user: USER });
    mkdirSync(path.join(root, "proc"));
    symlinkSync("/proc/sys", path.join(root, "proc/sys"));
    const r = await runOn(check, root);
    expect(r.find("host.kernel-unreadable").evidence).toMatchObject({ kind: "loop" });
  });

  it("reports an /etc/passwd that is a device, and falls back to the current user", async () => {
    const root = tempHost({ "etc/os-release": OS }, { user: USER });
    // A device node inside the tree: /dev/zero would grow memory without end if it were read.
    execFileSync("mknod", [path.join(root, "etc/passwd"), "c", "1", "5"]);
    const r = await runOn(check, root);
    expect(r.find("host.passwd-unreadable").evidence).toMatchObject({ kind: "char" });
    rmSync(path.join(root, "etc/passwd"));
  });

  it("warns that a root without os-release may not be a host's root", async () => {
    const root = tempHost({ "etc/passwd": PASSWD }, { user: USER });
    const r = await runOn(check, root);
    expect(r.find("host.os-release-missing")).toMatchObject({
      status: "warn",
      remedy: expect.stringContaining("--root"),
    });
  });
});
