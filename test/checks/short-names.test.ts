import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check, readConf } from "../../checks/short-names.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const host = (files: Record<string, string>) => tempHost({ "etc/passwd": PASSWD, ...files }, { user: USER });

describe("short-names", () => {
  it("warns when enforcing mode meets several search registries (Fedora's default)", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["shortnames.ambiguous-enforcing"]);
    expect(r.find("shortnames.ambiguous-enforcing").evidence?.files).toEqual([
      "/etc/containers/registries.conf",
      "/etc/containers/registries.conf.d/000-shortnames.conf",
    ]);
  });

  it("warns when no search registries are configured (a commented-out line does not count)", async () => {
    const r = await runOn(check, "ubuntu-24.04-desktop");
    expect(r.codes).toEqual(["shortnames.none"]);
  });

  it("passes docker.io alone, and lets the user's own file replace the system one", async () => {
    const r = await runOn(
      check,
      host({
        "etc/containers/registries.conf": "unqualified-search-registries = []\n",
        "home/alice/.config/containers/registries.conf":
          'unqualified-search-registries = [\n  "docker.io",\n]\n',
      }),
    );
    expect(r.find("shortnames.ok").evidence?.unqualifiedSearchRegistries).toEqual(["docker.io"]);
  });

  it("lets a drop-in override the main file", async () => {
    const r = await runOn(
      check,
      host({
        "etc/containers/registries.conf": 'unqualified-search-registries = ["quay.io"]\n',
        "etc/containers/registries.conf.d/99-local.conf": 'unqualified-search-registries = ["docker.io"]\n',
      }),
    );
    expect(r.find("shortnames.ok").message).toBe("Short names resolve through docker.io.");
  });

  it("reads only top-level keys, never those inside tables, and survives garbage", () => {
    expect(readConf('[[registry]]\nunqualified-search-registries = ["x"]\n')).toEqual({
      registries: null,
      mode: null,
    });
    expect(readConf("\u0000\u0001[[[ = ")).toEqual({ registries: null, mode: null });
  });

  it("warns about a drop-in that is a folder or a FIFO, and still reads the others", async () => {
    const root = tempHost({
      "etc/containers/registries.conf": 'unqualified-search-registries = ["docker.io"]\n',
    });
    mkdirSync(path.join(root, "etc/containers/registries.conf.d/x.conf"), { recursive: true });
    execFileSync("mkfifo", [path.join(root, "etc/containers/registries.conf.d/y.conf")]);
    const r = await runOn(check, root);
    expect(r.codes).toEqual(["shortnames.unreadable", "shortnames.unreadable", "shortnames.ok"]);
    expect(r.findings.map((f) => f.evidence?.kind)).toEqual(["dir", "fifo", undefined]);
  });
});
