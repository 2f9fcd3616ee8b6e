// Targets (issues 4 and 12), each on its own volume, raw = `tar -C src -cf - . | podman volume import v -`:
//   many files (~50k) and large files (a few GiB): podlift migrate --no-verify >= 0.95 x raw
//   throughput, verified <= 1.3 x raw time; ten small volumes in one run <= 1.3 x ten raw pipes;
//   peak RSS of the podlift process < 150 MiB on a volume of 200,000 entries (verified).
// Each variant runs --runs times, interleaved (paired), after `sync` and dropping the page cache
// (this machine's disk is ext4 with discard: without that, one run's deletes slow the next one's writes).
// Usage (root, with dockerd and podman):
//   node bench/migrate.mjs [--runs 3] [--files 50000] [--large-mib 2048] [--entries 200000]
//     [--bin path/to/podlift.js] [--only many,large,small,entries]
//     [--small-files 100] [--small-kib 4]   (ten volumes of 50 MB: --small-files 100 --small-kib 512)
import { execFileSync, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import {
  closeSync,
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
import { startDockerd } from "./lib.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg("--runs", 3));
const FILES = Number(arg("--files", 50000));
const LARGE = Number(arg("--large-mib", 2048));
const ENTRIES = Number(arg("--entries", 200000));
const ONLY = arg("--only", "many,large,small,entries").split(",");
const SMALL_FILES = Number(arg("--small-files", 100));
const SMALL_KIB = Number(arg("--small-kib", 4));
const bin = path.resolve(arg("--bin", new URL("../bin/podlift.js", import.meta.url).pathname));
const work = mkdtempSync(path.join(os.tmpdir(), "podlift-bench-"));
const socket = path.join(work, "docker.sock"); // startDockerd listens here
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

const dockerd = await startDockerd(work);

function newVolume(name) {
  docker("volume", "create", name);
  return docker("volume", "inspect", "--format", "{{.Mountpoint}}", name);
}

function smallFiles(dir, files, size) {
  const chunk = Buffer.alloc(size, 7);
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) mkdirSync(sub);
    if (size >= 4) chunk.writeUInt32LE(i, 0);
    writeFileSync(path.join(sub, `f${i}`), chunk);
  }
}

function largeFiles(dir, totalMiB, count) {
  const block = Buffer.alloc(1024 * 1024);
  for (let f = 0; f < count; f++) {
    const fd = openSync(path.join(dir, `large-${f}.bin`), "w");
    for (let i = 0; i < totalMiB / count; i++) writeSync(fd, randomFillSync(block));
    closeSync(fd);
  }
}

function settle() {
  execFileSync("sync");
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

/** Runs a list of steps (argv, optionally piped into a second argv) one after another; seconds, peak RSS of the first process. */
function timed(steps) {
  settle();
  const started = performance.now();
  let peak = 0;
  const one = ([argv, pipeTo]) =>
    new Promise((resolve, reject) => {
      const a = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
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
      let out = "";
      if (!pipeTo) a.stdout?.on("data", (d) => (out += d));
      Promise.all(procs.map((p) => new Promise((r) => p.on("exit", (code) => r(code))))).then((codes) => {
        clearInterval(poll);
        if (codes.some((c) => c !== 0))
          reject(new Error(`${argv.join(" ")} failed: ${codes} ${out.slice(0, 2000)}`));
        else resolve();
      }, reject);
    });
  return (async () => {
    for (const s of steps) await one(s);
    execFileSync("sync"); // the data is on disk before the clock stops, for every variant alike
    return { seconds: (performance.now() - started) / 1000, peak };
  })();
}

const migrateArgv = (names, ...extra) => [
  process.execPath,
  bin,
  "migrate",
  "volumes",
  ...names,
  "--docker-host",
  `unix://${socket}`,
  "--yes",
  "--format",
  "json",
  ...extra,
];
const rawSteps = (names, dirs) =>
  names.flatMap((n, i) => [
    [["podman", "volume", "create", n]],
    [
      ["tar", "-C", dirs[i], "-cf", "-", "."],
      ["podman", "volume", "import", n, "-"],
    ],
  ]);
const clear = (names) => podmanQuiet("volume", "rm", "-f", ...names);
const mib = (b) => (b / 1024 / 1024).toFixed(0);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const show = (xs) => `median ${median(xs).toFixed(2)} s (runs ${xs.map((x) => x.toFixed(2)).join(", ")})`;

/** raw, --no-verify and verified, interleaved; prints the ratios against raw. */
async function compare(label, names, dirs) {
  const bytes = dirs.reduce(
    (n, d) => n + Number(execFileSync("du", ["-sb", d]).toString().split("\t")[0]),
    0,
  );
  const t = { raw: [], noVerify: [], verify: [], peak: [] };
  for (let round = 0; round < RUNS; round++) {
    clear(names);
    t.raw.push((await timed(rawSteps(names, dirs))).seconds);
    clear(names);
    const nv = await timed([[migrateArgv(names, "--no-verify")]]).catch((e) => {
      console.log(`  (podlift --no-verify failed: ${e.message.slice(0, 400)})`);
      return { seconds: Number.NaN, peak: 0 };
    });
    t.noVerify.push(nv.seconds);
    clear(names);
    const v = await timed([[migrateArgv(names)]]).catch((e) => {
      console.log(`  (podlift failed: ${e.message.slice(0, 400)})`);
      return { seconds: Number.NaN, peak: 0 };
    });
    t.verify.push(v.seconds);
    t.peak.push(v.peak);
    clear(names);
  }
  const raw = median(t.raw);
  console.log(`\n${label}: ${mib(bytes)} MiB`);
  console.log(
    `  raw tar | podman volume import : ${show(t.raw)}  ${(bytes / 1048576 / raw).toFixed(0)} MiB/s`,
  );
  console.log(
    `  podlift --no-verify           : ${show(t.noVerify)}  throughput ratio ${(raw / median(t.noVerify)).toFixed(2)} (target >= 0.95)`,
  );
  console.log(
    `  podlift (verified)            : ${show(t.verify)}  time ratio ${(median(t.verify) / raw).toFixed(2)} (target <= 1.3)`,
  );
  console.log(`  peak RSS of podlift (verified): ${mib(median(t.peak))} MiB`);
}

try {
  console.log(`podlift: ${bin}; ${RUNS} paired runs per variant, page cache dropped before each`);
  if (ONLY.includes("many")) {
    const many = newVolume("bench-many");
    smallFiles(many, FILES, 16 * 1024);
    await compare(`many files (${FILES} x 16 KiB)`, ["bench-many"], [many]);
    docker("volume", "rm", "bench-many");
  }
  if (ONLY.includes("large")) {
    const large = newVolume("bench-large");
    largeFiles(large, LARGE, 4);
    await compare(`large files (4 x ${LARGE / 4} MiB)`, ["bench-large"], [large]);
    docker("volume", "rm", "bench-large");
  }

  const smallNames = Array.from({ length: 10 }, (_, i) => `bench-small-${i}`);
  if (ONLY.includes("small")) {
    const smallDirs = smallNames.map((n) => {
      const d = newVolume(n);
      smallFiles(d, SMALL_FILES, SMALL_KIB * 1024);
      return d;
    });
    await compare(
      `ten small volumes (${SMALL_FILES} x ${SMALL_KIB} KiB each), one run`,
      smallNames,
      smallDirs,
    );
    for (const n of smallNames) docker("volume", "rm", n);
  }
  if (ONLY.includes("entries")) {
    const huge = newVolume("bench-entries");
    smallFiles(huge, ENTRIES, 0);
    clear(["bench-entries"]);
    const v = await timed([[migrateArgv(["bench-entries"])]]);
    clear(["bench-entries"]);
    console.log(
      `\npeak RSS of podlift (verified) on ${ENTRIES} entries: ${mib(v.peak)} MiB in ${v.seconds.toFixed(1)} s (target < 150 MiB)`,
    );
  }
} finally {
  clear([
    "bench-many",
    "bench-large",
    "bench-entries",
    ...Array.from({ length: 10 }, (_, i) => `bench-small-${i}`),
  ]);
  await dockerd.stop();
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(work));
  for (const m of mounts.sort((a, b) => b.length - a.length)) execFileSync("umount", ["-l", m]);
  rmSync(work, { recursive: true, force: true });
}
