// The single-file build: podlift and every dependency in one CommonJS file, dist/podlift.cjs,
// that runs with any Node >= 20 (`node podlift.cjs doctor`) on a host that never ran npm. The
// version and the checks' docs pages (for `podlift explain`) are built in. Run by `npm run build`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
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
  minify: true,
  legalComments: "linked",
  banner: { js: "#!/usr/bin/env node" },
  define: { PODLIFT_BUILD: JSON.stringify({ version: pkg.version, docs }) },
  logLevel: "warning",
  metafile: true,
});
const bytes = statSync(outfile).size;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`dist/podlift.cjs: ${(bytes / 1024 / 1024).toFixed(2)} MiB from ${inputs} modules`);
