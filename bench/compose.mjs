// Target (issue 10, item 9): `podlift compose check` grows linearly with the compose file, and a
// file past the size bound is refused at once. Generates projects of 8k to 64k services (the 64k
// one is ~6.5 MB, past the 4 MiB bound) and prints wall time and peak RSS of each run; then the
// same parse and rules in this process on the 64k text, past the bound, to show they are linear.
// Prints figures; never asserts. Usage: npm run build && node bench/compose.mjs [services...]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
const counts = process.argv.slice(2).map(Number).filter(Boolean);
const ladder = counts.length > 0 ? counts : [8000, 16000, 32000, 64000];

/** ~100 bytes a service: a short image name, a published port and a bind mount each. */
export function composeText(services) {
  const parts = ["services:\n"];
  for (let i = 0; i < services; i++) {
    parts.push(
      `  app${i}:\n    image: nginx:1.25\n    ports:\n      - "${10000 + (i % 50000)}:80"\n    volumes:\n      - ./d${i}:/data\n`,
    );
  }
  return parts.join("");
}

// Peak RSS of the child, printed by the child itself as it exits.
const rssProbe =
  "data:text/javascript,process.on('exit',()=>process.stderr.write('\\nPEAK_RSS_KB='+process.resourceUsage().maxRSS+'\\n'))";

const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-bench-compose-"));
try {
  console.log("podlift compose check --format json, one run per size");
  for (const n of ladder) {
    const file = path.join(dir, `compose-${n}.yaml`);
    const text = composeText(n);
    writeFileSync(file, text);
    const started = performance.now();
    const r = spawnSync(
      process.execPath,
      ["--import", rssProbe, bin, "compose", "check", file, "--format", "json"],
      {
        encoding: "utf8",
        maxBuffer: 1 << 30,
      },
    );
    const ms = performance.now() - started;
    const rss = Number(/PEAK_RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
    const said = r.status === 2 ? ` (${r.stderr.split("\n")[0]})` : "";
    console.log(
      `${String(n).padStart(6)} services ${(text.length / 1e6).toFixed(1).padStart(5)} MB  ${ms.toFixed(0).padStart(6)} ms  peak RSS ${rss.toFixed(0).padStart(5)} MB  exit ${r.status}${said}`,
    );
  }
  // In this process, without the size bound: parse and rules alone on the largest text.
  const [{ parseProject }, { checkProject }] = await Promise.all([
    import("../dist/src/compose/project.js"),
    import("../dist/src/compose-check/run-rules.js"),
  ]).catch(() => [{}, {}]);
  if (parseProject && checkProject) {
    const n = Math.max(...ladder);
    const text = composeText(n);
    const host = {
      rootless: true,
      userName: "alice",
      uid: 1000,
      portStart: 1024,
      selinuxEnforcing: true,
      cdiDevices: [],
    };
    const started = performance.now();
    const loaded = parseProject(path.join(dir, "compose.yaml"), text, "", {});
    const parsed = performance.now();
    const findings = checkProject(loaded, host);
    const done = performance.now();
    console.log(
      `in process, ${n} services (${(text.length / 1e6).toFixed(1)} MB, no size bound): parse ${(parsed - started).toFixed(0)} ms, rules ${(done - parsed).toFixed(0)} ms, ${findings.length} findings, RSS now ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
