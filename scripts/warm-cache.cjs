// Run by scripts/build-single.mjs, never shipped in the single file: loads the bundle as the single
// file's head does (without its early start), runs one podlift command (a doctor of a fixture
// host tree: read-only, no container started), and when that ends writes V8's code cache for the
// bundle. A cache made before the bundle ran holds only its top level; this one also holds every
// function such a run compiled, which a doctor run otherwise parses as it goes (issue 14: about
// 40 ms of the main thread on a small machine).
// Usage: node scripts/warm-cache.cjs <single file> <cache out> <podlift args...>
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { Script } = require("node:vm");
const { decode } = require("./single-format.cjs");

const [file, out, ...args] = process.argv.slice(2);
const script = new Script(decode(fs.readFileSync(file)).source, { filename: file });
process.argv = [process.argv[0], file, ...args];
process.on("exit", () => fs.writeFileSync(out, script.createCachedData()));
script.runInThisContext()(exports, require, module, file, path.dirname(file));
