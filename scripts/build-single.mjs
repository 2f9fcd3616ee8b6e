// The single-file build: podlift and every dependency in one CommonJS file, dist/podlift.cjs,
// that runs with any Node >= 20 (`node podlift.cjs doctor`) on a host that never ran npm. The
// version and the checks' docs pages (for `podlift explain`) are built in. Run by `npm run build`.
//
// The bundle is 2 MB of JavaScript, and V8 pre-parses all of it before the first line runs
// (~50 ms here). So the file is a small head that answers `--version` itself and otherwise
// compiles the bundle, which it carries in base64 inside the closing block comment: V8 only
// scans a comment for its end (base64 has no "*"), faster than a string literal it must also
// build (measured: 1.16x `node -e 0` for --version, against 1.28x as a string, 2.0x as code).
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Script } from "node:vm";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const docs = {};
for (const dir of ["docs/checks", "docs/compose-rules"]) {
  for (const name of readdirSync(path.join(root, dir))
    .filter((n) => n.endsWith(".md"))
    .sort())
    docs[`${dir}/${name}`] = readFileSync(path.join(root, dir, name), "utf8");
}
const outfile = path.join(root, "dist", "podlift.cjs");
const result = await build({
  entryPoints: [path.join(root, "src", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  // import() of a builtin becomes require(): a function compiled by vm cannot import().
  supported: { "dynamic-import": false },
  minify: true,
  legalComments: "linked",
  define: { PODLIFT_BUILD: JSON.stringify({ version: pkg.version, docs }) },
  logLevel: "warning",
  metafile: true,
  write: false,
});
const bundle = result.outputFiles.find((f) => f.path === outfile)?.text;
if (bundle === undefined) throw new Error(`esbuild wrote no ${outfile}`);
for (const f of result.outputFiles) if (f.path !== outfile) writeFileSync(f.path, f.contents);
const early = readFileSync(path.join(root, "scripts", "head-early.cjs"), "utf8").replace(
  /^\/\/ biome-ignore.*\n/m,
  "",
);
// The bundle runs as one function. V8's code cache for it (its compiled top level, made here by
// this same Node) rides along in a second comment: the head hands it to vm.Script, which skips
// most of the compile (measured: \`podlift --help\` 128 -> 80 ms, \`node -e 0\` 64 ms). Another
// Node version or other V8 flags reject it, and the bundle is compiled as if it were absent.
const wrapped = `(function (exports, require, module, __filename, __dirname) {${bundle}\n})`;
const cache = new Script(wrapped, { filename: outfile }).createCachedData();
const head = `#!/usr/bin/env node
"use strict";
// podlift ${pkg.version}, in one file (scripts/build-single.mjs): the bundle is the base64 in the
// last comment below, V8's code cache for it the one before.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) process.stdout.write(${JSON.stringify(`${pkg.version}\n`)});
else {
  // A doctor run's first podman commands start before the bundle loads (scripts/head-early.cjs).
  // Whatever goes wrong there, the command runs as it would have (and starts its own).
  try {
    globalThis.__podliftEarly = startEarly(args);
  } catch {}
  const text = require("node:fs").readFileSync(__filename, "latin1");
  const part = (name) => {
    const from = text.lastIndexOf("/*" + name) + name.length + 2;
    return Buffer.from(text.slice(from, text.indexOf("*/", from)), "base64");
  };
  const source = ${JSON.stringify("(function (exports, require, module, __filename, __dirname) {")} + part("BUNDLE").toString("utf8") + "\\n})";
  const script = new (require("node:vm").Script)(source, { filename: __filename, cachedData: part("CODECACHE") });
  script.runInThisContext()(exports, require, module, __filename, __dirname);
}
${early}`;
writeFileSync(
  outfile,
  `${head}/*CODECACHE${cache.toString("base64")}*/\n/*BUNDLE${Buffer.from(bundle).toString("base64")}*/\n`,
);
chmodSync(outfile, 0o755);
const bytes = statSync(outfile).size;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`dist/podlift.cjs: ${(bytes / 1024 / 1024).toFixed(2)} MiB from ${inputs} modules`);
