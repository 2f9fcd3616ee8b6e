// A command that never ends costs its timeout and nothing more, and leaves nothing running: its
// children, a grandchild that left with setsid, and a process that ignores TERM all go with it.
import { execFile, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LiveHost } from "../../src/host/live-host.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");

/** Live processes (zombies excluded: this sandbox's PID 1 may not reap) whose argv has `tag`. */
function running(tag: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (state !== "Z" && cmd.includes(tag)) found.push(`${pid} ${cmd}`);
    } catch {
      // gone
    }
  }
  return found;
}

function hangingPodman(seconds: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-hang-"));
  const script = path.join(dir, "podman");
  writeFileSync(
    script,
    `#!/bin/sh\ntrap '' TERM\nsleep ${seconds}1 &\nsetsid sleep ${seconds}2 &\nexec sleep ${seconds}3\n`,
  );
  chmodSync(script, 0o755);
  return dir;
}

describe("process groups", () => {
  it("kills a command's whole tree at its deadline and returns within the grace period", async () => {
    const host = new LiveHost("/");
    const started = Date.now();
    const r = await host.run(["sh", "-c", "trap '' TERM; sleep 6661 & setsid sleep 6662 & exec sleep 6663"], {
      timeoutMs: 300,
    });
    const ms = Date.now() - started;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(ms).toBeLessThan(300 + 1500);
    await new Promise((res) => setTimeout(res, 200));
    expect(running("sleep 666")).toEqual([]);
  });

  it("a young command told to stop is let run until stopGraceMs old; an older one, or its deadline, stops it at once", async () => {
    const host = new LiveHost("/");
    // Told at 100 ms with a 700 ms grace: it ends on its own at ~400 ms, not killed.
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const ends = await host.run(["sh", "-c", "sleep 0.4; echo ended"], {
      signal: stop.signal,
      stopGraceMs: 700,
    });
    expect(ends.exitCode).toBe(0);
    expect(ends.stdout).toBe("ended\n");
    // Told at 100 ms, still running at 700 ms old: killed then.
    const later = new AbortController();
    setTimeout(() => later.abort(), 100);
    let t = Date.now();
    const killed = await host.run(["sleep", "6664"], { signal: later.signal, stopGraceMs: 700 });
    expect(killed.exitCode).toBeNull();
    expect(Date.now() - t).toBeGreaterThanOrEqual(650);
    expect(Date.now() - t).toBeLessThan(700 + 1500);
    // Told when already older than the grace: at once.
    const old = new AbortController();
    setTimeout(() => old.abort(), 400);
    t = Date.now();
    await host.run(["sleep", "6665"], { signal: old.signal, stopGraceMs: 200 });
    expect(Date.now() - t).toBeLessThan(400 + 1000);
    // Its deadline is not a stop: no grace.
    t = Date.now();
    const timed = await host.run(["sleep", "6666"], { timeoutMs: 200, stopGraceMs: 5000 });
    expect(timed.timedOut).toBe(true);
    expect(Date.now() - t).toBeLessThan(200 + 1500);
    await new Promise((res) => setTimeout(res, 200));
    expect(running("sleep 666")).toEqual([]);
  });

  it("SIGTERM to podlift takes its running commands along", async () => {
    const bin = hangingPodman(888);
    const child = spawn(process.execPath, [BIN, "doctor"], {
      env: { ...process.env, CI: "true", PATH: `${bin}:${process.env.PATH}` },
      stdio: "ignore",
    });
    await new Promise((res) => setTimeout(res, 1200));
    child.kill("SIGTERM");
    const signal = await new Promise((res) => child.on("exit", (_code, sig) => res(sig)));
    expect(signal).toBe("SIGTERM");
    await new Promise((res) => setTimeout(res, 300));
    expect(running("sleep 888")).toEqual([]);
    execFileSync("rm", ["-rf", bin]);
  });

  it("--timeout binds every check for a rootless target too (user-namespaces has no longer limit)", async () => {
    const bin = hangingPodman(999);
    const started = Date.now();
    await new Promise<void>((resolve) =>
      execFile(
        process.execPath,
        [BIN, "doctor", "--user", "nobody", "--timeout", "1500", "--format", "json"],
        { env: { ...process.env, CI: "true", PATH: `${bin}:${process.env.PATH}` }, timeout: 30000 },
        () => resolve(),
      ),
    );
    expect(Date.now() - started).toBeLessThan(1500 + 1000 + 1500);
    await new Promise((res) => setTimeout(res, 300));
    expect(running("sleep 999")).toEqual([]);
    execFileSync("rm", ["-rf", bin]);
  });

  it("a podman that never exits costs the doctor its --timeout, not the canary's 60 s, and leaves no orphans", async () => {
    const bin = hangingPodman(777);
    const started = Date.now();
    const code = await new Promise<number>((resolve) =>
      execFile(
        process.execPath,
        [BIN, "doctor", "--timeout", "1500", "--format", "json"],
        { env: { ...process.env, CI: "true", PATH: `${bin}:${process.env.PATH}` }, timeout: 30000 },
        (error, stdout) => {
          const report = JSON.parse(stdout);
          expect(report.checks.find((c: { id: string }) => c.id === "canary").status).toBe("error");
          resolve(error ? ((error as { code?: number }).code ?? -1) : 0);
        },
      ),
    );
    const ms = Date.now() - started;
    expect(ms).toBeLessThan(1500 + 1000 + 1500); // timeout + 1 s, plus node's own start
    expect([1, 3]).toContain(code);
    await new Promise((res) => setTimeout(res, 300));
    expect(running("sleep 777")).toEqual([]);
    execFileSync("rm", ["-rf", bin]);
  });
});
