// The CLI and integration tests run the built tool (bin/podlift.js -> dist/, and the single file
// dist/podlift.cjs), as users do: build both once before any test runs, never a stale build.
// Every test file, and every podlift and podman they start, makes its throwaway files in one
// folder of this run (TMPDIR), removed when the run ends: files that forget their own removal
// (or are killed before it) leave nothing in /tmp.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export default function setup() {
  const root = path.join(import.meta.dirname, "..");
  execFileSync(
    process.execPath,
    [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")],
    {
      stdio: "inherit",
    },
  );
  execFileSync(process.execPath, [path.join(root, "scripts", "build-single.mjs")], { stdio: "inherit" });
  const tmp = mkdtempSync(path.join(os.tmpdir(), "podlift-vitest-"));
  // As /tmp is: the throwaway users of the rootless tests make their files here too.
  chmodSync(tmp, 0o1777);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    removeRunFolder(tmp);
  };
}

/** Removes the run's folder, after unmounting what a killed dockerd or podman left mounted in it. */
function removeRunFolder(tmp: string) {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) =>
      line.split(" ")[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
    )
    .filter((m): m is string => m?.startsWith(`${tmp}/`) === true)
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) {
    try {
      execFileSync("umount", ["-l", mount], { stdio: "ignore" });
    } catch {
      // not ours to unmount (no root): left for rmSync to report
    }
  }
  try {
    rmSync(tmp, { recursive: true, force: true });
  } catch (error) {
    console.warn(`podlift tests: could not remove ${tmp}: ${(error as Error).message}`);
  }
}
