// Target (issue 15): 1,000 doctor reports merge in under 5 s and under 300 MB.
// Usage: npm run build && node bench/fleet.mjs [hosts]
// The reports are this machine's own doctor report (run once), renamed per host and with
// statuses varied, so the merge does real work on real-shaped input.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const hosts = Number(process.argv[2] ?? 1000);
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
let base;
try {
  base = JSON.parse(
    execFileSync(process.execPath, [bin, "doctor", "--format", "json"], { encoding: "utf8" }),
  );
} catch (error) {
  base = JSON.parse(error.stdout);
}
const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-bench-fleet-"));
const statuses = ["pass", "warn", "fail", "skip"];
let bytes = 0;
for (let i = 0; i < hosts; i++) {
  const r = structuredClone(base);
  r.host.name = `node-${String(i).padStart(4, "0")}`;
  r.checks.forEach((c, j) => {
    if (c.status === "error") return;
    const status = statuses[(i * 7 + j * 3) % 11 === 0 ? 2 : (i + j) % 4 === 0 ? 1 : 0];
    c.status = status;
    for (const f of c.findings) f.status = status === "skip" ? "pass" : status;
  });
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const c of r.checks) summary[c.status]++;
  r.summary = summary;
  r.exitCode = summary.fail ? 1 : summary.error ? 3 : 0;
  const text = JSON.stringify(r);
  bytes += text.length;
  writeFileSync(path.join(dir, `${r.host.name}.json`), text);
}
console.log(`${hosts} reports, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${dir}`);
for (const format of ["json", "html", "text"]) {
  const runs = [];
  for (let k = 0; k < 3; k++) {
    const r = spawnSync(
      "/usr/bin/time",
      ["-f", "%e %M", process.execPath, bin, "report", "merge", dir, "--format", format],
      {
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
      },
    );
    const [seconds, kib] = r.stderr.trim().split("\n").at(-1).split(" ").map(Number);
    runs.push({ seconds, mib: kib / 1024, out: r.stdout.length });
  }
  runs.sort((a, b) => a.seconds - b.seconds);
  const m = runs[1];
  console.log(
    `merge --format ${format.padEnd(4)}  median ${m.seconds.toFixed(2)} s (target < 5), peak RSS ${m.mib.toFixed(0)} MiB (target < 300), output ${(m.out / 1024).toFixed(0)} KiB`,
  );
}
