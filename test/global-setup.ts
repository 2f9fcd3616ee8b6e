// The CLI and integration tests run the built tool (bin/podlift.js -> dist/), as users do:
// build it once before any test runs, so they never test a stale build.
import { execFileSync } from "node:child_process";
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
}
