import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../checks/cdi-specs.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { runCheck } from "../../src/doctor/runner.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { UnreadableFileError } from "../../src/host/safe-read.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const SPEC = (kind: string, devices: string[], extra = "") =>
  `cdiVersion: 0.6.0\nkind: ${kind}\ndevices:\n${devices.map((d) => `- name: "${d}"\n  containerEdits:\n    deviceNodes:\n    - path: /dev/x${d}\n`).join("")}${extra}`;
const host = (files: Record<string, string | Buffer>, spec = {}) =>
  tempHost({ "etc/passwd": PASSWD, ...files }, { user: USER, ...spec });

describe("cdi-specs", () => {
  it("passes a host with no GPU and no specs", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.status).toBe("pass");
    expect(r.codes).toEqual(["cdi.ok"]);
  });

  it("fails a spec generated for another driver than the loaded one", async () => {
    const r = await runOn(check, "gpu-stale-cdi");
    expect(r.status).toBe("fail");
    const stale = r.find("cdi.nvidia-stale");
    expect(stale.evidence).toMatchObject({
      driver: "550.54.15",
      specDriver: ["535.104.05"],
      spec: "/etc/cdi/nvidia.yaml",
    });
    expect(stale.remedy).toContain("nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml");
  });

  it("passes a spec that matches the loaded driver", async () => {
    const r = await runOn(
      check,
      host({
        "dev/nvidia0": "",
        "proc/driver/nvidia/version":
          "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar 5\n",
        "etc/cdi/nvidia.yaml": SPEC(
          "nvidia.com/gpu",
          ["0", "all"],
          "containerEdits:\n  mounts:\n  - hostPath: /usr/lib/libcuda.so.550.54.15\n    containerPath: /usr/lib/libcuda.so.550.54.15\n",
        ),
      }),
    );
    expect(r.status).toBe("pass");
    expect(r.codes).toContain("cdi.nvidia-ok");
  });

  it("fails a GPU with no spec at all", async () => {
    const r = await runOn(
      check,
      host({
        "dev/nvidia0": "",
        "proc/driver/nvidia/version":
          "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  560.35.03  Release Build\n",
      }),
    );
    expect(r.find("cdi.nvidia-no-spec").message).toContain("560.35.03");
  });

  it("fails devices defined in two specs, across /etc/cdi and /var/run/cdi, YAML and JSON", async () => {
    const json = JSON.stringify({
      cdiVersion: "0.5.0",
      kind: "vendor.com/dev",
      devices: [{ name: "a", containerEdits: {} }],
    });
    const r = await runOn(
      check,
      host({ "etc/cdi/a.yaml": SPEC("vendor.com/dev", ["a", "b"]), "var/run/cdi/b.json": json }),
    );
    expect(r.find("cdi.duplicate-device").evidence).toEqual({
      device: "vendor.com/dev=a",
      specs: ["/etc/cdi/a.yaml", "/var/run/cdi/b.json"],
    });
  });

  it("reports YAML errors with file, line and column", async () => {
    const r = await runOn(
      check,
      host({ "etc/cdi/bad.yaml": "cdiVersion: 0.6.0\nkind: [unclosed\ndevices:\n" }),
    );
    expect(r.find("cdi.invalid").message).toMatch(/^\/etc\/cdi\/bad\.yaml:\d+:\d+: invalid YAML/);
  });

  it("rejects binary garbage, a bad kind and a bad version, without a stack trace", async () => {
    const garbage = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0xff, 0xfe, 0x01, 0x02]);
    const r = await runOn(
      check,
      host({
        "etc/cdi/garbage.yaml": garbage,
        "etc/cdi/kind.yaml": SPEC("no-slash", ["0"]),
        "etc/cdi/version.json": JSON.stringify({
          cdiVersion: "banana",
          kind: "a.com/b",
          devices: [{ name: "x" }],
        }),
        "etc/cdi/notes.txt": "ignored: not a spec extension",
      }),
    );
    const messages = r.findings.filter((f) => f.code === "cdi.invalid").map((f) => f.message);
    expect(messages).toEqual([
      expect.stringContaining("garbage.yaml: binary data"),
      expect.stringContaining('kind "no-slash" is not vendor/class'),
      expect.stringContaining('cdiVersion "banana" is not a version'),
    ]);
    expect(r.status).toBe("fail");
  });

  it("fails a spec rootless Podman cannot read", async () => {
    const r = await runOn(
      check,
      host(
        { "etc/cdi/nvidia.yaml": SPEC("nvidia.com/gpu", ["0"]) },
        { stat: { "/etc/cdi/nvidia.yaml": { mode: 0o600, uid: 0 } } },
      ),
    );
    expect(r.find("cdi.unreadable").remedy).toBe("sudo chmod 0644 /etc/cdi/nvidia.yaml");
  });

  it("reports a folder named like a spec, and a FIFO, as not-a-file instead of an error", async () => {
    const root = host({ "etc/cdi/good.yaml": SPEC("vendor.com/dev", ["a"]) });
    mkdirSync(path.join(root, "etc/cdi/x.json"));
    execFileSync("mkfifo", [path.join(root, "etc/cdi/pipe.yaml")]);
    const r = await runOn(check, root);
    expect(r.status).toBe("warn");
    expect(r.findings.filter((f) => f.code === "cdi.not-a-file").map((f) => f.evidence?.type)).toEqual([
      "fifo",
      "dir",
    ]);
  });

  it("reports a cdiVersion that is an object, and deep nesting in JSON and YAML, as invalid specs", async () => {
    const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    const r = await runOn(
      check,
      host({
        "etc/cdi/proto.json": JSON.stringify({ cdiVersion: { toString: 1 }, kind: "a.com/b", devices: [] }),
        // Valid JSON nested 200,000 deep: refused before any parser sees it.
        "etc/cdi/deep.json": `{"cdiVersion":"0.6.0","kind":"a.com/b","devices":[{"name":"x"}],"containerEdits":${deep(200000)}}`,
        "etc/cdi/deep.yaml": `cdiVersion: 0.6.0\nkind: c.com/d\ndevices: [{name: y}]\ncontainerEdits: ${deep(100000)}\n`,
      }),
    );
    expect(r.status).toBe("fail");
    const invalid = r.findings.filter((f) => f.code === "cdi.invalid").map((f) => f.evidence?.path);
    expect(invalid).toEqual(["/etc/cdi/deep.json", "/etc/cdi/deep.yaml", "/etc/cdi/proto.json"]);
    expect(r.find("cdi.invalid").message).toContain("deep.json: nested more than 256 levels deep");
    expect(r.findings.find((f) => f.evidence?.path === "/etc/cdi/proto.json")?.message).toContain(
      "cdiVersion (a mapping) is not a version",
    );
  });

  it("reports a spec podlift itself cannot read (not root) as cdi.unreadable, not an error", async () => {
    const root = host({ "etc/cdi/nvidia.yaml": SPEC("nvidia.com/gpu", ["all"]) });
    chmodSync(path.join(root, "etc/cdi/nvidia.yaml"), 0o600);
    // What the Host answers when podlift runs without sudo: EACCES on the 0600 spec, as the
    // bounded reader reports it (root itself can read anything, so the answer is stood in for).
    class NotRoot extends FixtureHost {
      override async readFile(p: string) {
        if (p === "/etc/cdi/nvidia.yaml") throw new UnreadableFileError(p, "permission");
        return super.readFile(p);
      }
    }
    const fixture = new NotRoot(root);
    const facts = await gatherFacts(fixture, {});
    const r = await runCheck(check, fixture, facts, 5000);
    expect(r.findings.map((f) => f.code)).toEqual(["cdi.unreadable"]);
    expect(r.findings[0]?.evidence).toMatchObject({ path: "/etc/cdi/nvidia.yaml", mode: "600" });
  });
});
