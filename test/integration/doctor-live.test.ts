// podlift doctor on this very machine: as root, for throwaway users, against a real dockerd and
// a real Podman API service, and against a hung socket and a hung command.
import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateReport } from "../schema.js";
import {
  createUser,
  liveUnavailable,
  removeUser,
  type Service,
  startDockerd,
  startPodmanService,
} from "./live.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const skip = liveUnavailable(["podman", "dockerd"]);

interface Report {
  exitCode: number;
  summary: Record<string, number>;
  checks: {
    id: string;
    status: string;
    findings: { code: string; status: string; evidence?: Record<string, unknown> }[];
  }[];
}

function doctor(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number; report: Report | null; stdout: string; stderr: string; ms: number }>(
    (resolve) => {
      const started = Date.now();
      execFile(
        process.execPath,
        [BIN, "doctor", "--format", "json", ...args],
        { env: { ...process.env, ...env }, timeout: 120000 },
        (error, stdout, stderr) => {
          let report: Report | null = null;
          try {
            report = JSON.parse(stdout);
          } catch {
            // left null: the test says so
          }
          resolve({
            code: error ? ((error as { code?: number }).code ?? -1) : 0,
            report,
            stdout,
            stderr,
            ms: Date.now() - started,
          });
        },
      );
    },
  );
}

const codes = (r: Report | null, id: string) =>
  r?.checks.find((c) => c.id === id)?.findings.map((f) => f.code) ?? [];
const USER_OK = "podlift-t-ok";
const USER_BARE = "podlift-t-bare";

describe.skipIf(skip !== null)("doctor on this machine", () => {
  let dockerd: Service;
  let podmanApi: Service;
  beforeAll(async () => {
    createUser(USER_OK);
    createUser(USER_BARE, false);
    [dockerd, podmanApi] = await Promise.all([startDockerd(), startPodmanService()]);
  });
  afterAll(async () => {
    await Promise.all([dockerd?.stop(), podmanApi?.stop()]);
    removeUser(USER_OK);
    removeUser(USER_BARE);
  });

  it("as root: a schema-valid report, every check run, no errors, the exit code its summary implies", async () => {
    const r = await doctor([], { SUDO_USER: undefined });
    expect(validateReport(r.report)).toBe(true);
    const report = r.report as Report;
    expect(report.summary.error).toBe(0);
    expect(r.code).toBe(report.summary.fail > 0 ? 1 : 0);
    expect(report.checks.find((c) => c.id === "subuid-ranges")?.status).toBe("skip");
    // The canary really ran a rootful container and said what happened.
    expect(codes(report, "canary").some((c) => c === "canary.ok" || c === "canary.failed")).toBe(true);
  });

  it("for a throwaway user with ranges: subuid passes and a real user namespace is created", async () => {
    const r = await doctor(["--user", USER_OK]);
    expect(validateReport(r.report)).toBe(true);
    expect(r.report?.checks.find((c) => c.id === "subuid-ranges")?.status).toBe("pass");
    expect(codes(r.report, "user-namespaces")).toContain("userns.probe-ok");
    expect(codes(r.report, "user-namespaces")).toContain("userns.podman-map-ok");
    expect(codes(r.report, "canary")).toContain("canary.ok");
  });

  it("for a throwaway user without ranges: the static check and the runtime agree", async () => {
    const r = await doctor(["--user", USER_BARE, "--skip", "canary"]);
    expect(r.code).toBe(1);
    expect(codes(r.report, "subuid-ranges")).toEqual(["subuid.no-entry", "subgid.no-entry"]);
    expect(codes(r.report, "user-namespaces")).toContain("userns.podman-map-single");
  });

  it("tells a real Docker engine and a real Podman service apart, with API versions", async () => {
    const docker = await doctor(["--only", "api-sockets"], { DOCKER_HOST: `unix://${dockerd.socket}` });
    const dockerOk = docker.report?.checks[0]?.findings.find((f) => f.evidence?.path === dockerd.socket);
    expect(dockerOk?.evidence).toMatchObject({
      engine: "docker",
      state: "answered",
      apiVersion: expect.stringMatching(/^1\.\d+$/),
    });
    const podman = await doctor(["--only", "api-sockets"], { DOCKER_HOST: `unix://${podmanApi.socket}` });
    const podmanOk = podman.report?.checks[0]?.findings.find((f) => f.evidence?.path === podmanApi.socket);
    expect(podmanOk?.evidence).toMatchObject({
      engine: "podman",
      state: "answered",
      apiVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
  });

  it("reports a real socket that accepts and never answers, and does not hang", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-hung-"));
    mkdirSync(path.join(root, "run/podman"), { recursive: true });
    const server = net.createServer(() => {});
    await new Promise<void>((r) => server.listen(path.join(root, "run/podman/podman.sock"), r));
    try {
      const r = await doctor(["--root", root, "--only", "api-sockets"]);
      expect(r.ms).toBeLessThan(15000);
      const hung = r.report?.checks[0]?.findings.find((f) => f.code === "socket.hung");
      expect(hung?.evidence).toMatchObject({ connected: true, timeoutMs: 2000 });
      expect(r.code).toBe(1);
    } finally {
      server.close();
    }
  });

  it("turns a podman that never exits into error status (exit 3), within the timeout", async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), "podlift-fakebin-"));
    writeFileSync(path.join(bin, "podman"), "#!/bin/sh\nexec sleep 600\n");
    chmodSync(path.join(bin, "podman"), 0o755);
    const r = await doctor(["--only", "podman-version", "--timeout", "2000"], {
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(r.code).toBe(3);
    expect(r.report?.checks[0]?.status).toBe("error");
    expect(r.ms).toBeLessThan(15000);
  });

  it("stops on Ctrl-C with exit 130 and still prints its report", async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), "podlift-fakebin-"));
    writeFileSync(path.join(bin, "podman"), "#!/bin/sh\nexec sleep 600\n");
    chmodSync(path.join(bin, "podman"), 0o755);
    const child = spawn(
      process.execPath,
      [BIN, "doctor", "--format", "json", "--only", "podman-version,canary"],
      {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      },
    );
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    setTimeout(() => child.kill("SIGINT"), 700);
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(130);
    expect(JSON.parse(stdout)).toMatchObject({ interrupted: true, exitCode: 130 });
  });
});
