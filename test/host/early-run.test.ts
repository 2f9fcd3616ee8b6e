// An early run (started by the single file's head, scripts/head-early.cjs) once a check takes it
// over (src/host/early.ts): it keeps podlift alive like any command podlift waits for, and past
// its deadline it ends even when something outside its process group still holds its pipes.
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { takeEarlyRun } from "../../src/host/early.js";

/** A run started as the head starts one: detached, unreferenced, its output collected. */
function startAsHead(argv: string[]) {
  const marker = `${process.pid}-early-test`;
  const child = spawn(argv[0] as string, argv.slice(1), {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PODLIFT_CHILD: marker },
  });
  const run = {
    argv,
    marker,
    child,
    startedAt: performance.now(),
    out: [] as Buffer[],
    err: [] as Buffer[],
    overflow: false,
    done: new Promise<{ code?: number | null; signal?: NodeJS.Signals | null }>((resolve) => {
      child.on("close", (code, signal) => resolve({ code, signal }));
    }),
  };
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  child.stdout?.on("data", (c: Buffer) => run.out.push(c));
  child.stderr?.on("data", (c: Buffer) => run.err.push(c));
  return run;
}

const me = os.userInfo().username;
afterEach(() => {
  globalThis.__podliftEarly = undefined;
});

describe("an early run taken over", () => {
  it("ends at its deadline though a process that left its group holds the output pipe", async () => {
    // The escaped one drops podlift's marker too, so that nothing finds it but its pid.
    const argv = ["sh", "-c", "setsid env -u PODLIFT_CHILD sleep 30 & echo $! >&2; exec sleep 30"];
    const run = startAsHead(argv);
    globalThis.__podliftEarly = { started: [run as never], missed: new Set() };
    const started = performance.now();
    try {
      const result = await takeEarlyRun(argv, { timeoutMs: 300 }, me, 1000);
      expect(result?.timedOut).toBe(true);
      expect(result?.exitCode).toBeNull();
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      const escaped = Number(Buffer.concat(run.err).toString().trim());
      if (escaped > 0) process.kill(escaped, "SIGKILL");
    }
  });

  it("keeps podlift alive until it has ended, even when its deadline killed it (the head left it unreferenced)", () => {
    // In a Node of its own, where nothing else holds the event loop: past the deadline the run's
    // group is killed, but an escaped process still holds its pipe; had nothing referenced the
    // run then, Node would end with its top-level await unsettled (exit 13), with no report.
    const early = path.join(import.meta.dirname, "..", "..", "dist", "src", "host", "early.js");
    const script = `
      import { spawn } from "node:child_process";
      const { takeEarlyRun } = await import(${JSON.stringify(early)});
      const argv = ["sh", "-c", "setsid env -u PODLIFT_CHILD sleep 30 & echo $! >&2; exec sleep 30"];
      const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", "pipe", "pipe"] });
      const run = { argv, marker: "t", child, startedAt: performance.now(), out: [], err: [], overflow: false,
        done: new Promise((r) => child.on("close", (code, signal) => r({ code, signal }))) };
      child.unref(); child.stdout.unref(); child.stderr.unref();
      child.stderr.on("data", (c) => run.err.push(c));
      globalThis.__podliftEarly = { started: [run], missed: new Set() };
      process.on("exit", () => process.kill(Number(Buffer.concat(run.err).toString()), "SIGKILL"));
      const result = await takeEarlyRun(argv, { timeoutMs: 300 }, ${JSON.stringify(me)}, 5000);
      console.log("timed out:", result.timedOut);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("timed out: true\n");
    expect(r.status).toBe(0);
  });

  it("a command nobody started early is noted as asked (the head then starts it no more)", () => {
    globalThis.__podliftEarly = { started: [], missed: new Set() };
    expect(takeEarlyRun(["docker-compose", "--version"], {}, me, 1000)).toBeNull();
    expect([...(globalThis.__podliftEarly.missed ?? [])]).toEqual([
      JSON.stringify([["docker-compose", "--version"], me, {}]),
    ]);
  });
});
