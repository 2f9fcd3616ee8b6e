// The built command line, run as a user runs it: exit codes, formats, usage errors, files.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HOSTS } from "./helpers.js";
import { validateReport } from "./schema.js";

const BIN = path.join(import.meta.dirname, "..", "bin", "podlift.js");
const work = mkdtempSync(path.join(os.tmpdir(), "podlift-cli-"));

function podlift(args: string[], env: Record<string, string> = {}, cwd = work) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "", CI: "true", ...env }, timeout: 60000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}

// Fixture roots have no binaries: with --root, commands would run through chroot and find none.
const fixture = (name: string) => ["--root", path.join(HOSTS, name)];

describe("podlift CLI", () => {
  it("prints its version", async () => {
    const r = await podlift(["--version"]);
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "package.json"), "utf8"));
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    // -V is answered by the same early path in bin/podlift.js; with more words, by the CLI.
    expect(await podlift(["-V"])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    expect(await podlift(["--version", "--help"])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it("lists every check, as text and JSON", async () => {
    const text = await podlift(["checks"]);
    expect(text.stdout).toMatch(/^subuid-ranges\s+subuid\/subgid ranges$/m);
    const json = JSON.parse((await podlift(["checks", "--format", "json"])).stdout);
    expect(json.find((c: { id: string }) => c.id === "canary").docs).toBe("docs/checks/canary.md");
  });

  it("explains a check from its docs page, and refuses an unknown id with exit 2", async () => {
    const r = await podlift(["explain", "subuid-ranges"]);
    expect(r.stdout).toContain("podman system migrate");
    const bad = await podlift(["explain", "nope"]);
    expect(bad).toMatchObject({
      code: 2,
      stderr: 'podlift: unknown check id "nope" (see `podlift checks`)\n',
    });
  });

  it.each([
    [["doctor", "--fail-on", "sometimes"], /argument 'sometimes' is invalid/],
    [["doctor", "--only", "no-such-check"], /unknown check id: no-such-check/],
    [["doctor", "--timeout", "soon"], /whole number from 1 to 2147483647/],
    [["doctor", "--ports", "80,http"], /"http" is not a port number/],
    [["doctor", "--frobnicate"], /unknown option '--frobnicate'/],
    [["doctor", "--root", "/nonexistent/podlift"], /--root \/nonexistent\/podlift is not a folder/],
    [["doctor", "--user", "no-such-user-x", "--root", "/"], /unknown user "no-such-user-x"/],
  ])("exits 2 with a clear message for %j", async (args, message) => {
    const r = await podlift(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("exits 2 on a broken compose file, naming line and column", async () => {
    // Under --root, --compose names a path on that host, as compose check reads it.
    const host = mkdtempSync(path.join(work, "host-"));
    mkdirSync(path.join(host, "srv"));
    writeFileSync(path.join(host, "srv/broken.yaml"), "services:\n  web:\n    ports: [80:80\n");
    const r = await podlift(["doctor", "--compose", "/srv/broken.yaml", "--root", host]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+: invalid YAML/);
  });

  it("exits 2 on a malformed config file", async () => {
    writeFileSync(path.join(work, "bad-config.json"), '{"skip": ["x"]}');
    const r = await podlift([
      "doctor",
      "--config",
      path.join(work, "bad-config.json"),
      ...fixture("fedora-40-rootless"),
    ]);
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toContain("must map check ids to reasons");
  });

  it("writes a schema-valid JSON report and exits 1 on a host with failures", async () => {
    const out = path.join(work, "report.json");
    const r = await podlift([
      "doctor",
      ...fixture("no-subuid-entry"),
      "--format",
      "json",
      "--output",
      out,
      "--skip",
      "canary",
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(validateReport(report)).toBe(true);
    expect(report.host.targetUser.name).toBe("root"); // live host: the runner is the user
    expect(r.stdout).toContain("Summary:");
    expect(r.stderr).toContain(`json report written to ${out}`);
  });

  it("applies --fail-on warn and the config file's skips with their reasons", async () => {
    const project = mkdtempSync(path.join(os.tmpdir(), "podlift-project-"));
    writeFileSync(
      path.join(project, "podlift.json"),
      JSON.stringify({ skip: { "cdi-specs": "no GPUs in this fleet" } }),
    );
    const args = [
      "doctor",
      ...fixture("fedora-40-rootless"),
      "--only",
      "cdi-specs,short-names",
      "--format",
      "json",
    ];
    const lenient = await podlift(args, {}, project);
    const report = JSON.parse(lenient.stdout);
    expect(report.checks.find((c: { id: string }) => c.id === "cdi-specs").skipReason).toBe(
      "skipped by config: no GPUs in this fleet",
    );
    // Fedora's registries.conf: enforcing mode with three registries is a warning.
    expect(report.checks.find((c: { id: string }) => c.id === "short-names").status).toBe("warn");
    expect(lenient.code).toBe(0);
    const strict = await podlift([...args, "--fail-on", "warn"], {}, project);
    expect(strict.code).toBe(1);
  });

  it("writes JUnit XML", async () => {
    const r = await podlift([
      "doctor",
      ...fixture("gpu-stale-cdi"),
      "--only",
      "cdi-specs",
      "--format",
      "junit",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('<testcase classname="podlift.cdi-specs" name="CDI device specs"');
    expect(r.stdout).toContain(
      '<failure message="/etc/cdi/nvidia.yaml mounts libraries of driver 535.104.05',
    );
  });
});

describe("podlift fix and undo CLI", () => {
  it("refuses an unknown fix or check id with exit 2", async () => {
    const r = await podlift(["fix", "--only", "no-such-fix", ...fixture("ubuntu-24.04-desktop")]);
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toContain("unknown check or fix id: no-such-fix");
  });

  it("applies a safe fix under --root with --yes, verifies it, and undoes it", async () => {
    const { scratchCopy } = await import("./helpers.js");
    const root = scratchCopy("ubuntu-24.04-desktop");
    const dropIn = path.join(root, "etc/containers/registries.conf.d/90-podlift-shortnames.conf");
    const dry = await podlift(["fix", "--root", root, "--only", "short-names", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+unqualified-search-registries = ["docker.io"]');
    expect(() => readFileSync(dropIn)).toThrow();
    const script = await podlift(["fix", "--root", root, "--only", "short-names", "--script"]);
    expect(script.stdout).toMatch(/^#!\/bin\/sh\n/);
    const applied = await podlift(["fix", "--root", root, "--only", "short-names", "--yes"]);
    expect(applied.stdout).toContain("✔ short-names: applied and verified");
    expect(applied.code).toBe(0);
    expect(readFileSync(dropIn, "utf8")).toContain("docker.io");
    const list = await podlift(["undo", "--root", root, "--list"]);
    expect(list.stdout).toMatch(/active {2}short-names:verified/);
    const undo = await podlift(["undo", "--root", root]);
    expect(undo).toMatchObject({ code: 0 });
    expect(() => readFileSync(dropIn)).toThrow();
    expect((await podlift(["undo", "--root", root])).stdout).toBe("Nothing to undo.\n");
  });

  it("leaves risky fixes out of --yes unless --allow-risky", async () => {
    const { scratchCopy } = await import("./helpers.js");
    const root = scratchCopy("ubuntu-24.04-desktop");
    const r = await podlift([
      "fix",
      "--root",
      root,
      "--user",
      "alice",
      "--only",
      "apparmor-userns-off",
      "--yes",
      "--format",
      "json",
    ]);
    expect(r.stderr).toContain("not applying risky fix apparmor-userns-off without --allow-risky");
    expect(
      readFileSync(path.join(root, "proc/sys/kernel/apparmor_restrict_unprivileged_userns"), "utf8"),
    ).toBe("1\n");
  });
});
