#!/usr/bin/env node
// Entry point: everything lives in the build (dist/), produced by `npm run build` (and by
// `npm install`/`npm ci` through the prepare script). `podlift --version` is answered here,
// before the CLI and its dependencies load (issue 14: within 1.2x of `node -e 0`).
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const { run } = await import("../dist/src/cli.js");
  await run();
}
