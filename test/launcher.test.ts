// bin/podlift.js and the single file run as programs (npm link makes bin/podlift.js the `podlift`
// command): their first lines have /bin/sh start node on them without NODE_EXTRA_CA_CERTS (Node 20
// reads and parses that file at every start), and podlift puts it back for the commands it runs.
import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PODLIFT_BIN } from "./helpers.js";

const ROOT = path.join(import.meta.dirname, "..");
const SINGLE = path.join(ROOT, "dist", "podlift.cjs");
const VERSION = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version as string;
const work = mkdtempSync(path.join(os.tmpdir(), "podlift-launcher-"));
// A file that is not there: Node warns on stderr when it tries to read it at start.
const CA = path.join(work, "no such dir", "corporate-ca.pem");
const NODE_WARNS = /Ignoring extra certs from/;

function run(file: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      file,
      args,
      { cwd: work, env: { ...process.env, CI: "true", NODE_EXTRA_CA_CERTS: CA, ...env }, timeout: 60000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

describe("the launcher lines", () => {
  it("start node without NODE_EXTRA_CA_CERTS, through an npm-link symlink and as the single file", async () => {
    const link = path.join(work, "podlift");
    symlinkSync(PODLIFT_BIN, link);
    for (const program of [link, SINGLE]) {
      const r = await run(program, ["--version"]);
      expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
      expect(r.stderr).not.toMatch(NODE_WARNS);
    }
    // The control: node run on the file itself reads it (and so would have without the lines).
    const direct = await run(process.execPath, [PODLIFT_BIN, "--version"]);
    expect(direct.stdout).toBe(`${VERSION}\n`);
    expect(direct.stderr).toMatch(NODE_WARNS);
  });

  it("run as a program, the single file reads only its head until a command needs the bundle", async () => {
    // A copy cut in the middle of its code cache: Node cannot even parse it as a file.
    const bytes = readFileSync(SINGLE);
    const cut = path.join(work, "cut.cjs");
    writeFileSync(cut, bytes.subarray(0, bytes.indexOf("\n//podlift:head-end\n/*CODECACHE") + 100));
    chmodSync(cut, 0o755);
    expect(await run(cut, ["--version"])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    const parsed = await run(process.execPath, [cut, "--version"]);
    expect(parsed.code).not.toBe(0);
    expect(parsed.stderr).toMatch(/SyntaxError/);
  });

  it("give the commands podlift runs the caller's environment back, unchanged", async () => {
    const bin = path.join(work, "shims");
    const dump = path.join(work, "podman-env");
    const shim = path.join(bin, "podman");
    mkdirSync(bin);
    writeFileSync(shim, `#!/bin/sh\nenv >> '${dump}'\necho 'podman version 5.4.2'\nexit 0\n`);
    chmodSync(shim, 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    for (const program of [PODLIFT_BIN, SINGLE]) {
      const r = await run(program, ["doctor", "--only", "podman-version", "--format", "json"], env);
      expect(r.stderr).not.toMatch(NODE_WARNS);
      expect(JSON.parse(r.stdout).checks[0].id).toBe("podman-version");
      const seen = readFileSync(dump, "utf8").split("\n");
      expect(seen).toContain(`NODE_EXTRA_CA_CERTS=${CA}`);
      expect(seen.some((l) => l.startsWith("PODLIFT_NODE_EXTRA_CA_CERTS="))).toBe(false);
    }
  });

  it("pass every argument through the shell as it was given", async () => {
    const trap = path.join(work, "touched");
    const odd = `no such check 'x' "y" $(touch ${trap}) \`touch ${trap}\` ;|&*`;
    const r = await run(PODLIFT_BIN, ["explain", odd]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown check id "${odd}"`);
    expect(existsSync(trap)).toBe(false);
  });
});
