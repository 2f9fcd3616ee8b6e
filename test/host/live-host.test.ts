// The live host runs real programs: failures come back as values, never as exceptions.
import { describe, expect, it } from "vitest";
import { LiveHost } from "../../src/host/live-host.js";
import { lookupUser } from "../../src/host/users.js";

const host = new LiveHost("/");

describe("LiveHost.run", () => {
  it("returns output and exit codes without a shell", async () => {
    const r = await host.run(["sh", "-c", 'printf "%s" "$0"; exit 3', "a b; $(echo no)"]);
    expect(r).toMatchObject({ exitCode: 3, stdout: "a b; $(echo no)", timedOut: false });
  });

  it("reports a missing program as exit 127 and notFound", async () => {
    const r = await host.run(["podlift-no-such-program", "--x"]);
    expect(r).toMatchObject({
      exitCode: 127,
      notFound: true,
      failedToStart: "podlift-no-such-program: command not found",
    });
  });

  it("kills a command that never exits at its timeout", async () => {
    const started = Date.now();
    const r = await host.run(["sleep", "30"], { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("kills a command when its check is aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const r = await host.run(["sleep", "30"], { signal: controller.signal, timeoutMs: 20000 });
    expect(r.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it.skipIf(process.getuid?.() !== 0)("runs as another user when root, with that user's HOME", async () => {
    const r = await host.run(["sh", "-c", 'id -u; echo "$HOME"'], { user: "nobody" });
    const nobody = await lookupUser(host, "nobody");
    expect(r.stdout.trim().split("\n")).toEqual([String(nobody?.uid), nobody?.home]);
  });

  it("reads sysctls and the current user", async () => {
    expect(await host.readSysctl("kernel.ostype")).toBe("Linux");
    expect(await host.readSysctl("no.such.key")).toBeNull();
    expect(host.currentUser().uid).toBe(process.getuid?.());
  });
});
