// The CLI and integration tests run the built tool (bin/podlift.js -> dist/, and the single file
// dist/podlift.cjs), as users do: build both once before any test runs, never a stale build.
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
  execFileSync(process.execPath, [path.join(root, "scripts", "build-single.mjs")], { stdio: "inherit" });
}
