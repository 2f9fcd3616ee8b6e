// The single-file build: podlift and every dependency in one CommonJS file, dist/podlift.cjs,
// that runs with any Node >= 20 (`node podlift.cjs doctor`) on a host that never ran npm. The
// version and the checks' docs pages (for `podlift explain`) are built in. Run by `npm run build`.
//
// The bundle is 1.5 MB of JavaScript, and V8 pre-parses all of it before the first line runs
// (~50 ms here at 2 MB). So the file is a small head that answers `--version` itself and otherwise
// compiles the bundle, which it carries inside the closing block comment: V8 only scans a
// comment for its end, faster than a string literal it must also build (measured: 1.16x
// `node -e 0` for --version, against 1.28x as a string, 2.0x as code).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { Script } from "node:vm";
import { build } from "esbuild";
import singleFormat from "./single-format.cjs";

const { WRAPPER, decode, encodeBundle } = singleFormat;

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
// podlift asks with checkbox, confirm and select. Its import() of @inquirer/prompts takes the whole
// package into the bundle, and esbuild cannot drop what an import() reaches: the editor prompt's
// external-editor brings iconv-lite and chardet, 520 KB of a 2 MB bundle that every run reads and
// that no command uses. The single file gets a stand-in for that one prompt instead.
const noEditorPrompt = {
  name: "no-editor-prompt",
  setup(b) {
    b.onResolve({ filter: /^@inquirer\/editor$/ }, () => ({ path: "editor", namespace: "no-editor" }));
    b.onLoad({ filter: /.*/, namespace: "no-editor" }, () => ({
      contents:
        'export default function editor() { throw new Error("the editor prompt is not in podlift\'s single file"); }',
      loader: "js",
    }));
  },
};
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
  plugins: [noEditorPrompt],
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
const wrapped = `${WRAPPER}${bundle}\n})`;
const cache = new Script(wrapped, { filename: outfile }).createCachedData();
// What runs the bundle: startEarly (scripts/head-early.cjs), then one read of the single file's
// bytes, the bundle decoded and compiled with its code cache. The single file carries it as its
// head; dist/head.cjs carries it for bin/podlift.js, which so starts a doctor run's first podman
// commands before the 2.8 MB file is read at all, and reads it once, as bytes (a require() of it
// reads it as UTF-8 and compiles all of it as a module first: ~15 ms more before `podman info`).
const runner = `const WRAPPER = ${JSON.stringify(WRAPPER)};
/** Runs the single file \`file\` with \`args\`, as a module whose require and module are given. */
function runSingle(file, args, req, mod) {
  // A signal nothing else handles (the bundle not loaded yet, or not handling it yet, or stepping
  // aside for it) first runs the exit handlers, which stop and remove what was started (instead of
  // leaving it running, with its files), then ends podlift by that signal, as with no handler.
  // Handled from before the first early command: the 2.8 MB read below may take long.
  // A canary container's run still in its first 1.5 s is first let end (or reach that age, or a
  // second signal comes): killed in its first ~100 ms, Podman 4.3 leaves the network namespace it
  // made behind (checks/canary.ts, STOP_GRACE_MS).
  const signals = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  let ending = false;
  const end = (signal) => {
    if (ending) return;
    ending = true;
    for (const s in signals) process.removeAllListeners(s);
    process.emit("exit", signals[signal]);
    process.kill(process.pid, signal);
  };
  const onSignal = (signal) => {
    if (process.listenerCount(signal) > 1) return;
    process.off(signal, onSignal);
    const running = (globalThis.__podliftEarly?.canaries ?? [])
      .map((c) => c.run)
      .filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    const left = Math.max(0, ...running.map((r) => r.startedAt + 1500 - performance.now()));
    if (left === 0) return end(signal);
    for (const s in signals) process.on(s, () => end(signal));
    setTimeout(() => end(signal), left);
    Promise.all(running.map((r) => r.done)).then(() => end(signal));
  };
  for (const signal in signals) process.on(signal, onSignal);
  // A doctor run's first podman commands start before the bundle loads (scripts/head-early.cjs).
  // Whatever goes wrong there, the command runs as it would have (and starts its own).
  try {
    globalThis.__podliftEarly = startEarly(args);
  } catch {}
  if (!globalThis.__podliftEarly) for (const signal in signals) process.off(signal, onSignal);
  // Read as bytes: only the bundle is decoded (as UTF-8), and only the cache from base64.
  const { source, cachedData } = decode(require("node:fs").readFileSync(file));
  const load = () => {
    const script = new (require("node:vm").Script)(source, { filename: file, cachedData });
    script.runInThisContext()(mod.exports, req, mod, file, require("node:path").dirname(file));
  };
  // The canary's containers start once its \`ldd\` has answered (a few ms): the bundle's load
  // would hold that answer up by its whole length.
  const ready = globalThis.__podliftEarly?.ready;
  if (ready) ready.then(load);
  else load();
}
// scripts/single-format.cjs
${decode.toString()}
${early}`;
// The first two lines are for /bin/sh (bin/podlift.js has the same, and says why): run as a
// program, the file starts node without NODE_EXTRA_CA_CERTS, which the head then puts back for
// podlift's commands. Here they also keep Node from reading the whole file: `boot` (node -e) reads
// only the head, up to HEAD_END, and compiles it as this file's module; the head reads the rest
// once, and only when the command needs the bundle (`--version` never does: 3.3 MB read and
// scanned cost ~12 ms of a 23 ms Node start). Run as `node podlift.cjs`, Node reads the whole
// file, skips the first line and reads the second as a string and a comment; the same head runs.
const HEAD_END = "\n//podlift:head-end\n";
const HEAD_MAX = 64 * 1024;
const boot = [
  `const f=process.argv[1],fs=require("fs"),b=Buffer.alloc(${HEAD_MAX}),d=fs.openSync(f,"r"),n=fs.readSync(d,b,0,b.length,0);`,
  `fs.closeSync(d);const s=b.toString("latin1",0,n),e=s.indexOf(${JSON.stringify(HEAD_END)});`,
  `const M=require("module"),m=new M(f,null);m.filename=f;m.paths=M._nodeModulePaths(require("path").dirname(f));`,
  // The two shell lines become empty lines: line numbers stay the file's.
  `m._compile("\\n\\n"+s.slice(s.indexOf("\\n",s.indexOf("\\n")+1)+1,e),f)`,
].join("");
const head = `#!/bin/sh
":" //; [ -z "$NODE_EXTRA_CA_CERTS" ] || { PODLIFT_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export PODLIFT_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; }; exec node -e '${boot}' -- "$0" "$@"
"use strict";
// podlift ${pkg.version}, in one file (scripts/build-single.mjs): the bundle is the last comment
// below, V8's code cache for it (in base64) the one before.
${runner}
if (process.env.PODLIFT_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.PODLIFT_NODE_EXTRA_CA_CERTS;
  delete process.env.PODLIFT_NODE_EXTRA_CA_CERTS;
}
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) process.stdout.write(${JSON.stringify(`${pkg.version}\n`)});
else runSingle(__filename, args, require, module);${HEAD_END}`;
if (boot.includes("'")) throw new Error("the boot line is single-quoted for /bin/sh: it cannot hold a '");
if (Buffer.byteLength(head) >= HEAD_MAX || !/^[\x20-\x7e\n]*$/.test(head))
  throw new Error(
    `the head must be ASCII and under ${HEAD_MAX} bytes: the boot line reads that much as latin1`,
  );
writeFileSync(
  path.join(root, "dist", "head.cjs"),
  `"use strict";\n// Made by scripts/build-single.mjs: the single file's head, for bin/podlift.js.\n${runner}\nmodule.exports = { runSingle };\n`,
);
// The bundle rides as it is but for one escape (scripts/single-format.cjs); base64 cost 30 ms of a
// run to decode (issue 14).
const escaped = encodeBundle(bundle);
const write = (codeCache) =>
  writeFileSync(outfile, `${head}/*CODECACHE${codeCache.toString("base64")}*/\n/*BUNDLE${escaped}*/\n`);
write(cache);
// Then a warmer cache: made after one doctor run of a fixture host tree (scripts/warm-cache.cjs),
// kept only if V8 accepts it for this bundle. Without the fixtures (a packed tarball), the first.
const fixture = path.join(root, "test", "fixtures", "hosts", "debian-12-ci-canary");
if (existsSync(fixture)) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-cache-"));
  const warm = path.join(dir, "cache");
  try {
    spawnSync(
      process.execPath,
      [
        path.join(root, "scripts", "warm-cache.cjs"),
        outfile,
        warm,
        ...["doctor", "--root", fixture, "--user", "alice", "--format", "json", "--timeout", "3000"],
      ],
      { stdio: "ignore", timeout: 60000, killSignal: "SIGKILL" },
    );
    const cachedData = existsSync(warm) ? readFileSync(warm) : null;
    if (cachedData && !new Script(wrapped, { filename: outfile, cachedData }).cachedDataRejected)
      write(cachedData);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
chmodSync(outfile, 0o755);
const bytes = statSync(outfile).size;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`dist/podlift.cjs: ${(bytes / 1024 / 1024).toFixed(2)} MiB from ${inputs} modules`);
