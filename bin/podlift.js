#!/usr/bin/env node
// Entry point of an npm install. `podlift --version` is answered here, before anything loads
// (issue 14: within 1.2x of `node -e 0`); every other command runs the single-file build,
// dist/podlift.cjs (one file to compile instead of hundreds of modules to resolve, and a doctor
// run's first podman commands started before it loads), or the module build when that is absent.
// Both are produced by `npm run build`, and by `npm install`/`npm ci` through the prepare script.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const single = new URL("../dist/podlift.cjs", import.meta.url);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
} else if (existsSync(single)) {
  createRequire(import.meta.url)(single.pathname);
} else {
  const { run } = await import("../dist/src/cli.js");
  await run();
}
