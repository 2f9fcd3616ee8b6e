// Times commands side by side, interleaved so that machine noise hits them alike; prints
// median and spread. A benchmark prints figures; it never asserts.
import { spawnSync } from "node:child_process";

export function time(argv, env = process.env) {
  const started = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: "ignore", env });
  return { ms: performance.now() - started, code: r.status };
}

export function compare(commands, runs) {
  const samples = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, c] of commands.entries()) samples[j].push(time(c.argv, c.env).ms);
  }
  const rows = commands.map((c, j) => {
    const s = [...samples[j]].sort((a, b) => a - b);
    // samples: in round order, for paired figures (pairedRatio).
    return {
      name: c.name,
      median: s[Math.floor(s.length / 2)],
      min: s[0],
      max: s.at(-1),
      samples: samples[j],
    };
  });
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  median ${r.median.toFixed(0).padStart(5)} ms   min ${r.min.toFixed(0).padStart(5)} ms   max ${r.max.toFixed(0).padStart(5)} ms`,
    );
  }
  return rows;
}

/**
 * The median of a/b taken round by round (each pair ran back to back), with its quartiles: steadier
 * than a ratio of medians on a machine whose speed drifts between rounds.
 */
export function pairedRatio(a, b) {
  const r = a.samples.map((x, i) => x / b.samples[i]).sort((x, y) => x - y);
  const at = (q) => r[Math.min(r.length - 1, Math.floor(q * r.length))];
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}

/**
 * A private dockerd for a benchmark: its own socket and data root under `work`, no bridge and no
 * iptables (as the integration tests start it). Resolves once the socket answers to `docker info`.
 */
export async function startDockerd(work) {
  const { spawn, execFileSync } = await import("node:child_process");
  const { existsSync } = await import("node:fs");
  const socket = `${work}/docker.sock`;
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
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync("docker", ["-H", `unix://${socket}`, "info"], { stdio: "ignore" });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    socket,
    async stop() {
      dockerd.kill("SIGKILL");
      await new Promise((r) => dockerd.on("exit", r));
    },
  };
}
