// Run before every test file (vitest setupFiles): the throwaway folders the file made are removed
// once it has finished, those made through the helpers (tempHost, scratchCopy) and every
// mkdtempSync under the temporary folder (about 13,000 had piled up in /tmp). A folder with
// anything mounted below it (a dockerd that was not stopped) is left alone: removing through a
// mount would reach whatever is mounted there.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import { afterAll } from "vitest";
import { removeMadeTrees } from "./helpers.js";

const made: string[] = [];
const original = fs.mkdtempSync;
fs.mkdtempSync = ((prefix: string, options?: fs.EncodingOption) => {
  const dir = original(prefix, options);
  if (dir.startsWith(`${os.tmpdir()}/`)) made.push(dir);
  return dir;
}) as typeof fs.mkdtempSync;
// `import { mkdtempSync } from "node:fs"` in the test files sees it too.
syncBuiltinESMExports();

afterAll(() => {
  removeMadeTrees();
  const mounts = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) =>
      (line.split(" ")[4] ?? "").replace(/\\(\d{3})/g, (_, o: string) =>
        String.fromCharCode(Number.parseInt(o, 8)),
      ),
    );
  for (const dir of made.splice(0)) {
    if (mounts.some((m) => m === dir || m.startsWith(`${dir}/`))) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // a folder a test made unremovable on purpose stays
    }
  }
  // The worker may run another file next: it wraps the original again.
  fs.mkdtempSync = original;
  syncBuiltinESMExports();
});
