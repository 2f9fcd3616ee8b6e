// Run before every test file (vitest setupFiles): the throwaway folders the file made are removed
// once it has finished: every mkdtempSync under the temporary folder, the helpers' tempHost and
// scratchCopy among them (about 13,000 had piled up in /tmp). A folder with
// anything mounted below it (a dockerd that was not stopped) is left alone: removing through a
// mount would reach whatever is mounted there.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import { afterAll } from "vitest";
import { parseMountinfo } from "../src/parse/mounts.js";

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
  const mounts = parseMountinfo(fs.readFileSync("/proc/self/mountinfo", "utf8")).map((m) => m.mountPoint);
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
