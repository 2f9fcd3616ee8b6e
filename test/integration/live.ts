// Real engines and real users for integration tests: a dockerd on its own socket and data root,
// a Podman API service, and throwaway users created and removed by the test.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const which = (name: string) => {
  try {
    execFileSync("sh", ["-c", 'command -v "$1"', "sh", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/** Why live tests cannot run here, or null. CI sets PODLIFT_REQUIRE_LIVE=1 so a gap fails. */
export function liveUnavailable(
  needs: ("podman" | "dockerd" | "ansible-playbook" | "debootstrap")[] = ["podman"],
): string | null {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root");
  for (const n of needs) if (!which(n)) missing.push(n);
  if (missing.length === 0) return null;
  const why = `live tests need ${missing.join(", ")}`;
  if (process.env.PODLIFT_REQUIRE_LIVE === "1") throw new Error(`${why} (PODLIFT_REQUIRE_LIVE=1)`);
  return why;
}

async function waitForSocket(socket: string, child: ChildProcess, what: string, ms = 30000) {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (existsSync(socket)) {
      try {
        execFileSync("curl", ["-sf", "--max-time", "2", "--unix-socket", socket, "http://d/_ping"], {
          stdio: "ignore",
        });
        return;
      } catch {
        // not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not answer on ${socket} within ${ms} ms`);
}

export interface Service {
  socket: string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess, dir: string) {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  // A killed dockerd leaves its mounts behind: take them down before removing the folder.
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync("umount", ["-l", m]);
  rmSync(dir, { recursive: true, force: true });
}

export async function startDockerd(): Promise<Service> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-dockerd-"));
  const socket = path.join(dir, "docker.sock");
  const child = spawn(
    "dockerd",
    [
      "--host",
      `unix://${socket}`,
      "--data-root",
      path.join(dir, "data"),
      "--exec-root",
      path.join(dir, "exec"),
      "--pidfile",
      path.join(dir, "docker.pid"),
      "--bridge",
      "none",
      "--iptables=false",
      "--ip6tables=false",
    ],
    { stdio: "ignore" },
  );
  try {
    await waitForSocket(socket, child, "dockerd");
  } catch (error) {
    await stopChild(child, dir);
    throw error;
  }
  // Docker leaves a network's bridge link (and its subnet on it) behind when it stops: remove
  // this engine's networks first, or later Podman tests find their subnets "in use".
  const stop = async () => {
    spawnSync("docker", ["-H", `unix://${socket}`, "network", "prune", "--force"], {
      stdio: "ignore",
      timeout: 20000,
    });
    await stopChild(child, dir);
  };
  return { socket, stop };
}

export async function startPodmanService(): Promise<Service> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-podman-"));
  const socket = path.join(dir, "podman.sock");
  const child = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], { stdio: "ignore" });
  await waitForSocket(socket, child, "podman system service");
  return { socket, stop: () => stopChild(child, dir) };
}

/** A throwaway user; `withRanges: false` creates it without subordinate ids. */
export function createUser(name: string, withRanges = true) {
  removeUser(name);
  const args = ["-m", "-s", "/bin/sh"];
  if (!withRanges) args.push("-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0");
  execFileSync("useradd", [...args, name], { stdio: "ignore" });
}

export function removeUser(name: string) {
  try {
    // Podman's rootless processes (pause process) would keep the user busy.
    execFileSync("pkill", ["-KILL", "-u", name], { stdio: "ignore" });
  } catch {
    // none running
  }
  try {
    execFileSync("userdel", ["-r", "-f", name], { stdio: "ignore" });
  } catch {
    // did not exist
  }
}
