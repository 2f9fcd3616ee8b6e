#!/bin/sh
":" //; [ -z "$NODE_EXTRA_CA_CERTS" ] || { PODLIFT_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export PODLIFT_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; }; exec node "$0" "$@"
// Entry point of an npm install: a shell line, then CommonJS (bin/package.json). The shell line
// runs node on this file as `#!/usr/bin/env node` would, without NODE_EXTRA_CA_CERTS: Node 20
// reads and parses that file at every start, before any JavaScript runs (35-50 ms of a 60-70 ms
// start on a 2-core machine with Debian's 140 certificates), and podlift makes no TLS connection.
// The value is handed over as PODLIFT_NODE_EXTRA_CA_CERTS and put back below, so every command
// podlift runs gets the caller's environment unchanged. Node skips the first line and reads the
// second as a string and a comment. Run as `node bin/podlift.js`, nothing of this happens.
//
// Not an ES module: Node loads it without its ESM loader, about 20 ms sooner. `podlift --version`
// is answered here, before anything loads (issue 14: within 1.2x of `node -e 0`); every other
// command runs the single-file build, dist/podlift.cjs, through its head (dist/head.cjs: a doctor
// run's first podman commands start before the 2.8 MB file is read), or the module build when
// the single file is absent. Both are produced by `npm run build`, and by `npm install`/`npm ci`
// through the prepare script.
"use strict";
if (process.env.PODLIFT_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.PODLIFT_NODE_EXTRA_CA_CERTS;
  delete process.env.PODLIFT_NODE_EXTRA_CA_CERTS;
}
const { existsSync, readFileSync } = require("node:fs");
const path = require("node:path");

const args = process.argv.slice(2);
const single = path.join(__dirname, "..", "dist", "podlift.cjs");
const head = path.join(__dirname, "..", "dist", "head.cjs");
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
} else if (existsSync(single) && existsSync(head)) {
  require(head).runSingle(single, args, require, module);
} else {
  import("../dist/src/cli.js").then(({ run }) => run());
}
