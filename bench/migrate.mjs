// Targets (issue 4), on one volume of tens of thousands of files plus one large file:
//   podlift migrate --no-verify >= 0.95 x the throughput of `tar -cf - . | podman volume import`,
//   with verification <= 1.6 x that pipeline's time, the manual gzip route reported as a ratio,
//   peak memory of the podlift process < 150 MiB and flat from a 1 GiB to a 4 GiB volume.
// Each variant runs --runs times, interleaved, after `sync` and dropping the page cache (this
// machine's disk is ext4 with discard: without that, one run's deletes slow the next one's writes).
// Usage (root, with dockerd and podman): node bench/migrate.mjs [--runs 3] [--files 30000] [--large-mib 768] [--big-mib 4096]
import { execFileSync, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 3);
const FILES = arg("--files", 30000);
const LARGE = arg("--large-mib", 768);
const BIG = arg("--big-mib", 4096);
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
const work = mkdtempSync(path.join(os.tmpdir(), "podlift-bench-"));
const socket = path.join(work, "docker.sock");
const docker = (...a) =>
  execFileSync("docker", ["-H", `unix://${socket}`, ...a])
    .toString()
    .trim();
const podman = (...a) => execFileSync("podman", a).toString().trim();
const podmanQuiet = (...a) => {
  try {
    podman(...a);
  } catch {}
};

const dockerd = spawn(
  "dockerd",
  [
    "--host",
    `unix://${socket}`,
    "--data-root",
    `${work}/data`,
    "--exec-root",
    `${work}/exec`,
    "--pidfile",
    `${work}/pid`,
    "--bridge",
    "none",
    "--iptables=false",
    "--ip6tables=false",
  ],
  { stdio: "ignore" },
);
for (let i = 0; i < 150 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 200));
await new Promise((r) => setTimeout(r, 1000));

function makeVolume(name, files, largeMiB) {
  docker("volume", "create", name);
  const dir = docker("volume", "inspect", "--format", "{{.Mountpoint}}", name);
  const chunk = Buffer.alloc(16 * 1024, 7);
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) mkdirSync(sub);
    chunk.writeUInt32LE(i, 0);
    writeFileSync(path.join(sub, `f${i}`), chunk);
  }
  const block = Buffer.alloc(1024 * 1024);
  const fd = openSync(path.join(dir, "large.bin"), "w");
  for (let i = 0; i < largeMiB; i++) writeSync(fd, randomFillSync(block));
  closeSync(fd);
  return dir;
}

function settle() {
  execFileSync("sync");
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

/** Runs argv (optionally piped into a second argv); seconds, and the first process's peak RSS. */
function timed(argv, pipeTo) {
  settle();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const a = spawn(argv[0], argv.slice(1), { stdio: ["ignore", pipeTo ? "pipe" : "ignore", "inherit"] });
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${a.pid}/status`, "utf8"));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {}
    }, 20);
    const procs = [a];
    if (pipeTo) {
      const b = spawn(pipeTo[0], pipeTo.slice(1), { stdio: ["pipe", "ignore", "inherit"] });
      a.stdout.pipe(b.stdin);
      procs.push(b);
    }
    Promise.all(procs.map((p) => new Promise((r) => p.on("exit", (code) => r(code))))).then((codes) => {
      clearInterval(poll);
      execFileSync("sync"); // the data is on disk before the clock stops, for every variant alike
      if (codes.some((c) => c !== 0)) reject(new Error(`${argv.join(" ")} failed: ${codes}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peak });
    }, reject);
  });
}

const migrate = (name, ...extra) =>
  timed([
    process.execPath,
    bin,
    "migrate",
    "volumes",
    name,
    "--docker-host",
    `unix://${socket}`,
    "--yes",
    "--format",
    "json",
    ...extra,
  ]);
const mib = (b) => (b / 1024 / 1024).toFixed(0);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

try {
  const dir = makeVolume("bench", FILES, LARGE);
  const bytes = Number(execFileSync("du", ["-sb", dir]).toString().split("\t")[0]);
  console.log(
    `volume: ${FILES} files of 16 KiB + one ${LARGE} MiB file = ${mib(bytes)} MiB; ${RUNS} interleaved runs each, page cache dropped before each`,
  );
  const t = { raw: [], noVerify: [], verify: [], manual: [], peakVerify: [], peakNoVerify: [] };
  const gz = path.join(work, "bench.tar.gz");
  for (let round = 0; round < RUNS; round++) {
    podmanQuiet("volume", "rm", "-f", "bench");
    podman("volume", "create", "bench");
    t.raw.push(
      (await timed(["tar", "-C", dir, "-cf", "-", "."], ["podman", "volume", "import", "bench", "-"]))
        .seconds,
    );
    podmanQuiet("volume", "rm", "-f", "bench");
    const nv = await migrate("bench", "--no-verify");
    t.noVerify.push(nv.seconds);
    t.peakNoVerify.push(nv.peak);
    podmanQuiet("volume", "rm", "-f", "bench");
    const v = await migrate("bench");
    t.verify.push(v.seconds);
    t.peakVerify.push(v.peak);
    podmanQuiet("volume", "rm", "-f", "bench");
    const packed = await timed(["tar", "-C", dir, "-czf", gz, "."]);
    podman("volume", "create", "bench");
    const imported = await timed(["podman", "volume", "import", "bench", gz]);
    t.manual.push(packed.seconds + imported.seconds);
    rmSync(gz);
    podmanQuiet("volume", "rm", "-f", "bench");
  }
  const raw = median(t.raw);
  const show = (xs) => `median ${median(xs).toFixed(2)} s (runs ${xs.map((x) => x.toFixed(1)).join(", ")})`;
  console.log(`raw tar | podman volume import : ${show(t.raw)}  ${(bytes / 1048576 / raw).toFixed(0)} MiB/s`);
  console.log(
    `podlift migrate --no-verify      : ${show(t.noVerify)}  throughput ratio ${(raw / median(t.noVerify)).toFixed(2)} (target >= 0.95)`,
  );
  console.log(
    `podlift migrate (verified)       : ${show(t.verify)}  time ratio ${(median(t.verify) / raw).toFixed(2)} (target <= 1.6)`,
  );
  console.log(
    `manual gzip tarball + import     : ${show(t.manual)}  ratio manual/podlift-verified ${(median(t.manual) / median(t.verify)).toFixed(2)}`,
  );
  console.log(
    `peak RSS of podlift: ${mib(median(t.peakNoVerify))} MiB without, ${mib(median(t.peakVerify))} MiB with verification (${mib(bytes)} MiB volume)`,
  );
  if (BIG > 0) {
    makeVolume("bench-big", 100, BIG);
    const big = await migrate("bench-big");
    podmanQuiet("volume", "rm", "-f", "bench-big");
    console.log(
      `peak RSS of podlift on a ${BIG + 2} MiB volume: ${mib(big.peak)} MiB (target < 150 MiB and no growth with size)`,
    );
  }
} finally {
  podmanQuiet("volume", "rm", "-f", "bench", "bench-big");
  dockerd.kill("SIGKILL");
  await new Promise((r) => dockerd.on("exit", r));
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(work));
  for (const m of mounts.sort((a, b) => b.length - a.length)) execFileSync("umount", ["-l", m]);
  rmSync(work, { recursive: true, force: true });
}
