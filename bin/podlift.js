#!/usr/bin/env node
// Entry point of an npm install. CommonJS (bin/package.json), not an ES module: Node loads it
// without its ESM loader, about 20 ms sooner, and a doctor run's first podman commands start that
// much sooner. `podlift --version` is answered here, before anything loads (issue 14: within
// 1.2x of `node -e 0`); every other command runs the single-file build, dist/podlift.cjs (one
// file to compile instead of hundreds of modules to resolve, and a doctor run's first podman
// commands started before it loads), or the module build when that is absent. Both are produced
// by `npm run build`, and by `npm install`/`npm ci` through the prepare script.
"use strict";
const { existsSync, readFileSync } = require("node:fs");
const path = require("node:path");

const args = process.argv.slice(2);
const single = path.join(__dirname, "..", "dist", "podlift.cjs");
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
} else if (existsSync(single)) {
  require(single);
} else {
  import("../dist/src/cli.js").then(({ run }) => run());
}
