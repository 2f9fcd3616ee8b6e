// The guided setup, driven like a person would: a real terminal (tmux), keys sent, the screen
// read back; then the host's state is checked. Against a scratch copy of a fixture host.
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { scratchCopy } from "../helpers.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const hasTmux = (() => {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    if (process.env.PODLIFT_REQUIRE_LIVE === "1")
      throw new Error("the wizard test needs tmux (PODLIFT_REQUIRE_LIVE=1)");
    return false;
  }
})();

const tmux = (...args: string[]) => execFileSync("tmux", args).toString();

/**
 * podlift with these arguments in a detached 80-column terminal. The session stands for a person:
 * it must not inherit CI=true from the test run. The shell stays a while so the exit can be read.
 */
function startPodlift(session: string, args: string, rows: number, env: Record<string, string> = {}) {
  const vars = Object.entries({ CI: "", ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    "80",
    "-y",
    String(rows),
    ...vars,
    `${process.execPath} ${BIN} ${args}; echo EXIT=$?; sleep 60`,
  );
}
const screen = (session: string) => tmux("capture-pane", "-p", "-J", "-t", session);

async function waitFor(session: string, text: string, ms = 20000): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const s = screen(session);
    if (s.includes(text)) return s;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`"${text}" did not appear; screen:\n${screen(session)}`);
}

describe.skipIf(!hasTmux || process.getuid?.() !== 0)("podlift with no arguments", () => {
  it("on a terminal: detects, offers the safe fixes checked, applies and verifies them, says how to undo", async () => {
    const root = scratchCopy("ubuntu-24.04-desktop");
    const session = `podlift-wizard-${process.pid}`;
    startPodlift(session, `--root ${root} --user alice`, 50, { NO_COLOR: "1" });
    try {
      const first = await waitFor(session, "What now?");
      expect(first).toContain("1. What this host has");
      expect(first).toMatch(/blocks: +Podman installed and recent, User namespaces/);
      for (const line of first.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
      tmux("send-keys", "-t", session, "Enter"); // Choose fixes to apply
      const checklist = await waitFor(session, "Which fixes should podlift apply?");
      expect(checklist).toMatch(/◉ Resolve short image names through docker.io/);
      expect(checklist).toMatch(/◯ Switch the AppArmor user-namespace restriction off host-wide \(risky\)/);
      tmux("send-keys", "-t", session, "Enter");
      await waitFor(session, "Apply 3 fix(es) now?");
      tmux("send-keys", "-t", session, "y", "Enter");
      const done = await waitFor(session, "EXIT=0", 60000);
      expect(done).toContain("✔ short-names: applied and verified");
      expect(done).toContain("No Docker engine answers here");
      expect(done.replace(/\s+/g, " ")).toMatch(/undo: podlift undo --root \S+ --run \S+/);
      expect(existsSync(path.join(root, "etc/containers/registries.conf.d/90-podlift-shortnames.conf"))).toBe(
        true,
      );
      // A failed step (no loginctl in the fixture root) is rolled back, not left half-done.
      expect(done).toContain("✖ linger: rolled-back");
    } finally {
      execFileSync("tmux", ["kill-session", "-t", session], { stdio: "ignore" });
    }
  }, 120000);

  it("on this machine, for a throwaway user without subordinate ids: fixes it, and undo restores the host", async () => {
    const { createUser, removeUser } = await import("./live.js");
    const { readFileSync } = await import("node:fs");
    const user = "podlift-t-wiz";
    createUser(user, false);
    const before = { subuid: readFileSync("/etc/subuid"), subgid: readFileSync("/etc/subgid") };
    const session = `podlift-wizard-live-${process.pid}`;
    startPodlift(session, `--user ${user}`, 60, {
      NO_COLOR: "1",
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    let runId: string | undefined;
    try {
      const first = await waitFor(session, "What now?", 60000);
      expect(first).toContain("subuid/subgid ranges");
      tmux("send-keys", "-t", session, "Enter");
      const checklist = await waitFor(session, "Which fixes should podlift apply?");
      expect(checklist).toMatch(/◉ Add subordinate uid\/gid ranges/);
      tmux("send-keys", "-t", session, "Enter");
      await waitFor(session, "now? Every change");
      tmux("send-keys", "-t", session, "y", "Enter");
      const done = await waitFor(session, "EXIT=0", 120000);
      expect(done).toContain("✔ subid-ranges: applied and verified");
      runId = /podlift undo --run (\S+)/.exec(done.replace(/\s+/g, " "))?.[1];
      expect(readFileSync("/etc/subuid", "utf8")).toMatch(new RegExp(`^${user}:\\d+:65536$`, "m"));
    } finally {
      execFileSync("tmux", ["kill-session", "-t", session], { stdio: "ignore" });
      if (runId) execFileSync(process.execPath, [BIN, "undo", "--run", runId]);
      removeUser(user);
    }
    expect(runId).toBeDefined();
    expect(readFileSync("/etc/subuid").equals(before.subuid)).toBe(true);
    expect(readFileSync("/etc/subgid").equals(before.subgid)).toBe(true);
  }, 180000);

  it("Ctrl-C at the first question exits 130 with nothing changed", async () => {
    const root = scratchCopy("ubuntu-24.04-desktop");
    const session = `podlift-wizard-c-${process.pid}`;
    startPodlift(session, `--root ${root} --user alice`, 40);
    try {
      await waitFor(session, "What now?");
      tmux("send-keys", "-t", session, "C-c");
      await waitFor(session, "EXIT=130");
      expect(existsSync(path.join(root, "var/lib/podlift/runs"))).toBe(false);
    } finally {
      execFileSync("tmux", ["kill-session", "-t", session], { stdio: "ignore" });
    }
  }, 60000);

  it("without a terminal: the doctor's report, a hint, and the doctor's exit code", async () => {
    const root = scratchCopy("fedora-40-rootless");
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [BIN, "--root", root],
        { env: { ...process.env, CI: "true" } },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      ),
    );
    expect(r.stdout).toContain("Summary:");
    expect(r.stderr).toContain("no terminal, so no questions");
    expect(r.code).toBe(/exit (\d+)/.exec(r.stdout)?.[1] === "0" ? 0 : 1);
  });
});
