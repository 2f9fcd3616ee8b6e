// Issue 10 item 7: the subuid-ranges check (and the subid-ranges fix plan) on hostile
// /etc/subuid files must stay near-linear in time and memory and keep its report small.
// Usage: npm run build && node bench/subuid.mjs [--bin path/to/podlift.js] [--limit seconds]
// For each generated host: wall time, peak RSS of the podlift process, number of findings and
// size of the JSON report of `doctor --only subuid-ranges`, and the time of `fix --dry-run`.
// A benchmark prints figures; it never asserts.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const bin = path.resolve(opt("--bin", new URL("../bin/podlift.js", import.meta.url).pathname));
const limitMs = Number(opt("--limit", "120")) * 1000;

// Prints the process's peak RSS (kB) on stderr as it exits, whatever the command does.
const HOOK = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\npodlift-bench-maxrss "+process.resourceUsage().maxRSS+"\\n"))`;

const PASSWD_HEAD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n";

function tree(files) {
  const root = mkdtempSync(path.join(os.tmpdir(), "podlift-bench-subuid-"));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), content);
  }
  return root;
}

const lines = (n, f) => `${Array.from({ length: n }, (_, i) => f(i)).join("\n")}\n`;

// N other users, each with an account inside alice's ranges and a range overlapping all of
// alice's N ranges; /etc/subgid stays healthy. The old check made N*N overlap findings.
function overlapping(n) {
  const start = (i) => 100000 + i * 100;
  return {
    "etc/passwd": PASSWD_HEAD + lines(n, (i) => `user${i}:x:${start(i)}:${start(i)}::/home/user${i}:/bin/sh`),
    "etc/subuid": lines(2 * n, (i) =>
      i % 2 === 0 ? `alice:${start(i >> 1)}:65536` : `user${i >> 1}:${start(i >> 1)}:65536`,
    ),
    "etc/subgid": "alice:100000:65536\n",
  };
}

const scenarios = [
  {
    name: "20,000 duplicate lines (400 KB)",
    files: {
      "etc/passwd": PASSWD_HEAD,
      "etc/subuid": lines(20000, () => "alice:100000:65536"),
      "etc/subgid": lines(20000, () => "alice:100000:65536"),
    },
  },
  { name: "5,000 overlapping users", files: overlapping(5000) },
  { name: "500 overlapping users", files: overlapping(500) },
];

function measure(argv) {
  const started = performance.now();
  // stdout is not kept: a report of hundreds of MB is written with -o to a file instead.
  const r = spawnSync(process.execPath, ["--import", HOOK, bin, ...argv], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
    timeout: limitMs,
    killSignal: "SIGKILL",
  });
  const ms = performance.now() - started;
  const rss = /podlift-bench-maxrss (\d+)/.exec(r.stderr ?? "");
  return {
    ms,
    rssMb: rss ? Number(rss[1]) / 1024 : null,
    code: r.status,
    signal: r.signal,
    error: r.error?.code,
  };
}

const fmt = (m) =>
  m.signal || m.error
    ? `killed (${m.error ?? m.signal}) after ${(m.ms / 1000).toFixed(1)} s`
    : `${(m.ms / 1000).toFixed(2)} s, peak RSS ${m.rssMb?.toFixed(0) ?? "?"} MB, exit ${m.code}`;

console.log(`podlift ${bin}, limit ${limitMs / 1000} s per run`);
for (const s of scenarios) {
  const root = tree(s.files);
  try {
    const common = ["--root", root, "--user", "alice"];
    const json = path.join(root, "report.json");
    const doctor = measure(["doctor", ...common, "--only", "subuid-ranges", "--format", "json", "-o", json]);
    let findings = "?";
    let size = 0;
    try {
      size = statSync(json).size;
      const report = JSON.parse(readFileSync(json, "utf8"));
      findings = report.checks.reduce((n, c) => n + c.findings.length, 0);
      const errors = report.checks.filter((c) => c.status === "error").map((c) => c.id);
      if (errors.length > 0) findings += ` (status error: ${errors.join(", ")})`;
    } catch {}
    console.log(`${s.name}`);
    console.log(
      `  doctor --only subuid-ranges: ${fmt(doctor)}, ${findings} findings, JSON report ${(size / 1024).toFixed(1)} KB`,
    );
    const deadline = measure(["doctor", ...common, "--only", "subuid-ranges", "--timeout", "1000"]);
    console.log(`  same with --timeout 1000:    ${fmt(deadline)}`);
    const fix = measure(["fix", ...common, "--only", "subid-ranges", "--dry-run"]);
    console.log(`  fix --only subid-ranges --dry-run: ${fmt(fix)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
