// compose fix is a fix run: it takes the fix runs' lock and removes the temporary files a killed
// run left beside the files podlift journalled, as `podlift fix` does.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");

function podlift(cwd: string, args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, CI: "true", DOCKER_HOST: "unix:///nonexistent/docker.sock" } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

describe("compose fix and the fix lock", () => {
  it("removes a killed run's temporary file beside a journalled compose file", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-compose-lock-"));
    const app = path.join(root, "srv/app");
    mkdirSync(app, { recursive: true });
    writeFileSync(path.join(app, "compose.yaml"), "services:\n  web:\n    image: nginx:1.25\n");
    const first = await podlift(app, ["compose", "fix", "--yes", "--root", root]);
    expect(first.stdout).toContain("applied and verified");
    // What a SIGKILL between write and rename leaves; its process (pid 2147483646) is long gone.
    const stale = path.join(app, ".compose.yaml.podlift-2147483646-1");
    writeFileSync(stale, "half");
    writeFileSync(path.join(app, "compose.yaml"), "services:\n  web:\n    image: redis:7\n");
    const second = await podlift(app, ["compose", "fix", "--yes", "--root", root]);
    expect(second.stdout).toContain("applied and verified");
    expect(existsSync(stale)).toBe(false);
    expect(second.stderr).toMatch(/removed 1 temporary file\(s\)/);
  });
});
