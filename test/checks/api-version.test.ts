import { mkdirSync, mkdtempSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { check, compareApi, parseApiVersion } from "../../checks/api-version.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { runCheck } from "../../src/doctor/runner.js";
import { LiveHost } from "../../src/host/live-host.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const versionBody = (api: string, min = "1.24", version = "5.2.2") =>
  JSON.stringify({ Version: version, ApiVersion: api, MinAPIVersion: min, Os: "linux" });
const socket = (body: string, status = 200) => ({
  status,
  headers: { server: "Libpod/5.2.2 (linux)", "libpod-api-version": "5.2.2", "api-version": "1.41" },
  body,
});
const userHost = (files: Record<string, string>, sockets: Record<string, unknown>, env = {}) =>
  tempHost({ "etc/passwd": PASSWD, ...files }, { user: USER, env, sockets: sockets as never });
const OWN = "/run/user/1000/podman/podman.sock";

describe("api-version", () => {
  it("fails Podman 3.4's compat API 1.40 against docker-py's 1.41 and a pinned 1.41", async () => {
    const r = await runOn(check, "ubuntu-22.04-podman3");
    expect(r.status).toBe("fail");
    const f = r.find("api.server-too-old");
    expect(f.evidence).toMatchObject({
      path: OWN,
      apiVersion: "1.40",
      minApiVersion: "1.24",
      engineVersion: "3.4.4",
      clients: ["1.41 docker-py's default", "1.41 DOCKER_API_VERSION in /home/alice/.bashrc:3"],
    });
    expect(f.message).toContain('"client version 1.41 is too new"');
    expect(f.remedy).toContain("Upgrade Podman to 4.1");
  });

  it("passes Podman 5's 1.41 for docker-py's default", async () => {
    const r = await runOn(check, userHost({}, { [OWN]: socket(versionBody("1.41")) }));
    expect(r.codes).toEqual(["api.ok"]);
    expect(r.find("api.ok").evidence).toMatchObject({ apiVersion: "1.41", minApiVersion: "1.24" });
  });

  it("fails a pin newer than the server and one below its minimum, from the files that set them", async () => {
    const r = await runOn(
      check,
      userHost(
        { "home/alice/.config/environment.d/50-docker.conf": "DOCKER_API_VERSION=1.44\n" },
        { [OWN]: socket(versionBody("1.41")) },
        { DOCKER_API_VERSION: "1.20" },
      ),
    );
    expect(r.find("api.server-too-old").evidence?.clients).toEqual([
      "1.44 DOCKER_API_VERSION in /home/alice/.config/environment.d/50-docker.conf:1",
    ]);
    expect(r.find("api.pin-too-old").evidence?.clients).toEqual([
      "1.20 DOCKER_API_VERSION in podlift's environment",
    ]);
  });

  it("reads the API-Version header when /version is not JSON, and asks DOCKER_HOST's socket too", async () => {
    const r = await runOn(
      check,
      userHost(
        { "home/alice/.profile": 'export DOCKER_HOST="unix:///srv/api.sock" # podman\n' },
        {
          "/srv/api.sock": socket("OK"),
        },
      ),
    );
    expect(r.codes).toEqual(["api.ok"]);
    expect(r.find("api.ok").evidence).toMatchObject({ path: "/srv/api.sock", apiVersion: "1.41" });
  });

  it("warns on an unreadable answer, a garbage pin, and when no socket answers", async () => {
    const r = await runOn(
      check,
      userHost(
        { "home/alice/.bashrc": "export DOCKER_API_VERSION=latest\u001b[2J\n" },
        {
          [OWN]: { status: 500, headers: {}, body: "{not json" },
        },
      ),
    );
    expect(r.codes).toEqual(["api.pin-invalid", "api.unknown"]);
    expect(r.find("api.pin-invalid").message).not.toContain("\u001b");
    const none = await runOn(check, userHost({}, { [OWN]: { state: "timeout", connected: true } }));
    expect(none.codes).toEqual(["api.no-socket"]);
    expect(none.status).toBe("warn");
  });

  it("compares versions as numbers, not strings", () => {
    expect(compareApi(parseApiVersion("1.9") as number[], parseApiVersion("1.41") as number[])).toBeLessThan(
      0,
    );
    expect(parseApiVersion("v1.41")).toEqual([1, 41]);
    expect(parseApiVersion("1.41; rm -rf")).toBeNull();
  });
});

describe("api-version on a real socket", () => {
  let server: http.Server | undefined;
  afterAll(() => server?.close());

  it("asks GET /version, not /_ping, and fails Podman 3.4's answer", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-api-"));
    mkdirSync(path.join(root, "run/podman"), { recursive: true });
    const asked: string[] = [];
    server = http.createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      if (req.url !== "/version") return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": "application/json", Server: "Libpod/3.4.4 (linux)" });
      res.end(versionBody("1.40", "1.24", "3.4.4"));
    });
    await new Promise<void>((resolve) => server?.listen(path.join(root, "run/podman/podman.sock"), resolve));
    const host = new LiveHost(root, {});
    const r = await runCheck(check, host, await gatherFacts(host), 8000);
    expect(asked).toEqual(["GET /version"]);
    expect(r.findings.map((f) => f.code)).toEqual(["api.server-too-old"]);
    expect(r.findings[0]?.evidence).toMatchObject({ path: "/run/podman/podman.sock", apiVersion: "1.40" });
  });
});
