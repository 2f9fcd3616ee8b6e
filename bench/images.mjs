// Targets (issue 12, images), printed, never asserted:
//   one ~1 GiB locally built image: podlift migrate images >= 0.95 x the throughput of
//   `docker save img | podman load`, and >= 2 x faster than the field reports' route: save to a file,
//   copy it, load the copy (also printed without the copy);
//   20 small images: podlift (one stream per image) within 1.5 x of one `docker save` of all of
//   them into one `podman load`, and whether that single load got the tags right.
// Images are built with `docker import` from tars of local random files: nothing is pulled.
// Each variant runs --runs times, interleaved, after `sync` and dropping the page cache.
// Usage (root, with dockerd and podman; npm run build first): node bench/images.mjs [--runs 3] [--mib 1024] [--small 20]
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
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 3);
const MIB = arg("--mib", 1024);
const SMALL = arg("--small", 20);
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
const work = mkdtempSync(path.join(os.tmpdir(), "pl12i-bench-"));
const socket = path.join(work, "docker.sock"); // startDockerd listens here
const docker = (...a) =>
  execFileSync("docker", ["-H", `unix://${socket}`, ...a], { maxBuffer: 16 * 1024 * 1024 })
    .toString()
    .trim();
const podman = (...a) =>
  execFileSync("podman", a, { stdio: ["ignore", "pipe", "pipe"] })
    .toString()
    .trim();
const podmanQuiet = (...a) => {
  try {
    podman(...a);
  } catch {}
};

const dockerd = await startDockerd(work);

/** An image of `mib` MiB of random files (64 MiB each at most), by docker import of a tar. */
function buildImage(name, mib) {
  const dir = mkdtempSync(path.join(work, "img-"));
  const block = Buffer.alloc(1024 * 1024);
  for (let done = 0, f = 0; done < mib; f++) {
    const size = Math.min(64, mib - done);
    const fd = openSync(path.join(dir, `f${f}.bin`), "w");
    for (let i = 0; i < size; i++) writeSync(fd, randomFillSync(block));
    closeSync(fd);
    done += size;
  }
  mkdirSync(path.join(dir, "etc"));
  writeFileSync(path.join(dir, "etc", "os-release"), `NAME=${name}\n`);
  const tar = `${dir}.tar`;
  execFileSync("tar", ["-C", dir, "-cf", tar, "."]);
  const id = docker("import", tar, name);
  rmSync(dir, { recursive: true, force: true });
  rmSync(tar);
  return id;
}

function settle() {
  execFileSync("sync");
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

/** Runs argv (optionally piped into a second argv); seconds and the first process's peak RSS. */
function timed(argv, pipeTo) {
  settle();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const a = spawn(argv[0], argv.slice(1), { stdio: ["ignore", pipeTo ? "pipe" : "ignore", "pipe"] });
    let err = "";
    a.stderr.on("data", (d) => {
      err += d;
    });
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${a.pid}/status`, "utf8"));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {}
    }, 20);
    const procs = [a];
    if (pipeTo) {
      const b = spawn(pipeTo[0], pipeTo.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
      b.stderr.on("data", (d) => {
        err += d;
      });
      a.stdout.pipe(b.stdin);
      procs.push(b);
    }
    Promise.all(procs.map((p) => new Promise((r) => p.on("exit", (code) => r(code))))).then((codes) => {
      clearInterval(poll);
      execFileSync("sync"); // on disk before the clock stops, for every variant alike
      if (codes.some((c) => c !== 0)) reject(new Error(`${argv.join(" ")} failed: ${codes}: ${err}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peak });
    }, reject);
  });
}

const podlift = (...names) =>
  timed([
    process.execPath,
    bin,
    "migrate",
    "images",
    ...names,
    "--docker-host",
    `unix://${socket}`,
    "--yes",
    "--format",
    "json",
  ]);
const dockerArgv = (...a) => ["docker", "-H", `unix://${socket}`, ...a];
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const show = (xs) => `median ${median(xs).toFixed(2)} s (runs ${xs.map((x) => x.toFixed(2)).join(", ")})`;
const mib = (b) => (b / 1048576).toFixed(0);

const BIG = "pl12i-bench-big:1";
const smallNames = Array.from({ length: SMALL }, (_, i) => `pl12i-bench-small${i}:v${i}`);
const removeAll = () => {
  for (const n of [BIG, ...smallNames]) podmanQuiet("rmi", "--force", `localhost/${n}`);
  podmanQuiet("image", "prune", "--force");
};

try {
  removeAll();
  const bigId = buildImage(BIG, MIB);
  const bytes = Number(docker("image", "inspect", "--format", "{{.Size}}", BIG));
  console.log(
    `one image of ${mib(bytes)} MiB (random files, docker import); ${RUNS} interleaved runs, page cache dropped before each`,
  );
  const t = { podlift: [], pipe: [], file: [], fileCopy: [], peak: [] };
  const file = path.join(work, "big.tar");
  for (let round = 0; round < RUNS; round++) {
    removeAll();
    const p = await podlift(BIG);
    t.podlift.push(p.seconds);
    t.peak.push(p.peak);
    if (`sha256:${podman("image", "inspect", "--format", "{{.Id}}", `localhost/${BIG}`)}` !== bigId)
      throw new Error("podlift: wrong id");
    removeAll();
    t.pipe.push((await timed(dockerArgv("save", BIG), ["podman", "load"])).seconds);
    removeAll();
    const saved = await timed(dockerArgv("save", "-o", file, BIG));
    // The field reports' route is save, copy, load: the copy is to where the loading side reads
    // it (another host, or the rootless user's home); here a second file on the same disk, the
    // cheapest such copy there is.
    const copied = await timed(["cp", file, `${file}.copy`]);
    const loaded = await timed(["podman", "load", "-i", `${file}.copy`]);
    t.file.push(saved.seconds + loaded.seconds);
    t.fileCopy.push(saved.seconds + copied.seconds + loaded.seconds);
    rmSync(file);
    rmSync(`${file}.copy`);
  }
  removeAll();
  const pipe = median(t.pipe);
  console.log(
    `docker save | podman load      : ${show(t.pipe)}  ${(bytes / 1048576 / pipe).toFixed(0)} MiB/s`,
  );
  console.log(
    `podlift migrate images         : ${show(t.podlift)}  ${(bytes / 1048576 / median(t.podlift)).toFixed(0)} MiB/s, throughput ratio to the pipe ${(pipe / median(t.podlift)).toFixed(2)} (target >= 0.95), peak RSS ${mib(median(t.peak))} MiB`,
  );
  console.log(
    `docker save -o file; podman load -i file: ${show(t.file)}  podlift is ${(median(t.file) / median(t.podlift)).toFixed(2)} x faster`,
  );
  console.log(
    `docker save -o file; cp; podman load -i copy: ${show(t.fileCopy)}  podlift is ${(median(t.fileCopy) / median(t.podlift)).toFixed(2)} x faster (target >= 2)`,
  );

  for (const [i, n] of smallNames.entries()) buildImage(n, 1 + (i % 3));
  console.log(`\n${SMALL} small images (1-3 MiB each), each with its own name:tag`);
  const s = { podlift: [], single: [] };
  let tagsRight = null;
  for (let round = 0; round < RUNS; round++) {
    removeAll();
    s.podlift.push((await podlift(...smallNames)).seconds);
    removeAll();
    s.single.push((await timed(dockerArgv("save", ...smallNames), ["podman", "load"])).seconds);
    // Did one multi-image load give every image its own name (podman#2821/#2822)?
    tagsRight = smallNames.every((n) => {
      try {
        return (
          `sha256:${podman("image", "inspect", "--format", "{{.Id}}", `localhost/${n}`)}` ===
          docker("image", "inspect", "--format", "{{.Id}}", n)
        );
      } catch {
        return false;
      }
    });
  }
  removeAll();
  console.log(`one docker save | one podman load: ${show(s.single)}  tags right: ${tagsRight}`);
  console.log(
    `podlift migrate images (${SMALL} streams): ${show(s.podlift)}  ratio to the single save ${(median(s.podlift) / median(s.single)).toFixed(2)} (target <= 1.5)`,
  );
} finally {
  removeAll();
  await dockerd.stop();
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(work));
  for (const m of mounts.sort((a, b) => b.length - a.length)) execFileSync("umount", ["-l", m]);
  rmSync(work, { recursive: true, force: true });
}
