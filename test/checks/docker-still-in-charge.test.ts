import { mkdirSync, mkdtempSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { check } from "../../checks/docker-still-in-charge.js";
import type { Listener } from "../../src/compose-check/types.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { runCheck } from "../../src/doctor/runner.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { LiveHost } from "../../src/host/live-host.js";
import { HOSTS, PASSWD, runOn, tempHost, USER } from "../helpers.js";

const PODMAN_PING = {
  status: 200,
  headers: { server: "Libpod/5.2.2 (linux)", "libpod-api-version": "5.2.2", "api-version": "1.41" },
  body: "OK",
};

describe("docker-still-in-charge", () => {
  it("fails when Docker's engine answers, its CLI is on PATH and docker-proxy's port is taken", async () => {
    const r = await runOn(check, "docker-still-running", { ports: [8080, 9000] });
    expect(r.status).toBe("fail");
    expect(r.codes).toEqual(["docker.engine-answers", "docker.cli-is-docker", "docker.port-taken"]);
    expect(r.find("docker.engine-answers")).toMatchObject({
      evidence: { engine: "docker", apiVersion: "1.43", server: "Docker/24.0.7 (linux)" },
      fixes: ["docker-disable"],
    });
    expect(r.find("docker.engine-answers").remedy).toContain("sudo apt-get install -y podman-docker");
    expect(r.find("docker.cli-is-docker").evidence).toEqual({
      path: "/usr/bin/docker",
      how: "`docker --version`: Docker version 24.0.7, build afdd53b",
    });
    // Not root on a live host: the owner is unknown, so it may be Podman's own; a warning.
    expect(r.find("docker.port-taken")).toMatchObject({
      status: "warn",
      evidence: { port: 8080, addresses: ["0.0.0.0:8080"], owners: null },
    });
  });

  it("fails a port docker-proxy holds and passes one Podman's rootlessport holds", async () => {
    const host = new FixtureHost(path.join(HOSTS, "docker-still-running"));
    const facts = await gatherFacts(host, { ports: [80, 8080] });
    const listening: Listener[] = [
      { proto: "tcp", address: "0.0.0.0", port: 8080, process: "docker-proxy (pid 2211)" },
      { proto: "tcp", address: "::", port: 80, process: "rootlessport (pid 3120)" },
    ];
    facts.probes = { ...facts.probes, listening: async () => listening };
    const findings = await check.run({ host, facts, signal: new AbortController().signal });
    expect(findings.find((f) => f.code === "docker.port-podman")?.evidence).toMatchObject({ port: 80 });
    const taken = findings.find((f) => f.code === "docker.port-taken");
    expect(taken).toMatchObject({
      status: "fail",
      evidence: { port: 8080, owners: ["docker-proxy (pid 2211)"] },
    });
    expect(taken?.message).toContain("while Docker still runs the old container");
    expect(taken?.remedy).toContain("docker ps --filter publish=8080");
  });

  it("passes when Podman serves the socket and podman-docker's script is docker", async () => {
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "usr/bin/docker":
          '#!/bin/sh\n[ -e /etc/containers/nodocker ] || echo "Emulate Docker CLI using podman."\nexec /usr/bin/podman "$@"\n',
        "proc/net/tcp": "  sl  local_address rem_address   st\n",
      },
      {
        user: USER,
        stat: { "/usr/bin/docker": { mode: 0o755 } },
        sockets: { "/var/run/docker.sock": PODMAN_PING },
      },
    );
    const r = await runOn(check, root, { ports: [8080] });
    expect(r.status).toBe("pass");
    expect(r.codes).toEqual(["docker.socket-is-podman", "docker.cli-is-podman", "docker.ports-free"]);
    expect(r.find("docker.cli-is-podman").evidence?.how).toBe("a script that runs podman (podman-docker)");
    // Recognised by what the file is: `docker --version` was never run.
    expect(r.host.calls.map((c) => c.argv[0])).not.toContain("/usr/bin/docker");
  });

  it("tells a link to podman from Docker's CLI by `docker --version`", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "usr/local/bin/docker": "x" },
      {
        user: USER,
        env: { PATH: "/usr/local/bin:/usr/bin" },
        stat: { "/usr/local/bin/docker": { mode: 0o755 } },
        commands: [{ argv: ["/usr/local/bin/docker", "--version"], stdout: "podman version 4.9.3\n" }],
      },
    );
    const r = await runOn(check, root);
    expect(r.codes).toEqual(["docker.engine-gone", "docker.cli-is-podman"]);
    expect(r.find("docker.cli-is-podman").message).toContain("podman version 4.9.3");
  });

  it("ends a socket that accepts and never answers as a finding, within the probe limit", async () => {
    const started = Date.now();
    const root = tempHost(
      { "etc/passwd": PASSWD },
      { user: USER, sockets: { "/var/run/docker.sock": { state: "timeout", connected: true } } },
    );
    const r = await runOn(check, root);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.find("docker.engine-hung")).toMatchObject({ status: "fail", evidence: { connected: true } });
    expect(r.codes).toContain("docker.cli-absent");
  });

  it("warns, without guessing, when the socket or /proc/net cannot be read", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "proc/net/tcp": Buffer.alloc(0) },
      { user: USER, sockets: { "/var/run/docker.sock": { state: "permission-denied" } } },
    );
    // /proc/net/tcp is a folder here: unreadable, not "no listeners".
    const broken = tempHost(
      { "etc/passwd": PASSWD, "proc/net/tcp/x": "" },
      { user: USER, sockets: { "/var/run/docker.sock": { state: "permission-denied" } } },
    );
    expect((await runOn(check, root)).find("docker.engine-unknown").status).toBe("warn");
    // Without access to the socket, dockerd's pid file and /proc still tell.
    const running = tempHost(
      { "etc/passwd": PASSWD, "run/docker.pid": "1187", "proc/1187/comm": "dockerd\n" },
      { user: USER, sockets: { "/var/run/docker.sock": { state: "permission-denied" } } },
    );
    expect((await runOn(check, running)).find("docker.engine-running")).toMatchObject({
      status: "fail",
      evidence: { pid: 1187 },
      fixes: ["docker-disable"],
    });
    // A stale pid file whose pid is now another program is no evidence.
    const stale = tempHost(
      { "etc/passwd": PASSWD, "run/docker.pid": "1187", "proc/1187/comm": "bash\n" },
      { user: USER, sockets: { "/var/run/docker.sock": { state: "permission-denied" } } },
    );
    expect((await runOn(check, stale)).codes).toContain("docker.engine-unknown");
    const r = await runOn(check, broken, { ports: [80] });
    expect(r.codes).toEqual(["docker.engine-unknown", "docker.cli-absent", "docker.ports-unknown"]);
  });

  it("keeps control characters in a hostile Server header out of the message", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD },
      {
        user: USER,
        sockets: { "/var/run/docker.sock": { status: 200, headers: { server: "Docker/1\u001b[2J" } } },
      },
    );
    const r = await runOn(check, root);
    expect(r.find("docker.engine-answers").message).toContain("Docker/1\\x1b[2J");
  });
});

describe("docker-still-in-charge on real sockets", () => {
  const servers: { close(): void }[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });
  const tree = () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-docker-"));
    mkdirSync(path.join(root, "var/run"), { recursive: true });
    return root;
  };
  const run = async (root: string) => {
    const host = new LiveHost(root, { PATH: "/nonexistent" });
    const facts = await gatherFacts(host);
    return runCheck(check, host, facts, 8000);
  };

  it("ends a real socket that accepts and never answers as docker.engine-hung, within the limit", async () => {
    const root = tree();
    const hung = net.createServer(() => {});
    servers.push(hung);
    await new Promise<void>((resolve) => hung.listen(path.join(root, "var/run/docker.sock"), resolve));
    const started = Date.now();
    const r = await run(root);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.findings.map((f) => f.code)).toEqual(["docker.engine-hung", "docker.cli-absent"]);
    expect(r.findings[0]?.evidence).toMatchObject({ connected: true, timeoutMs: 2000 });
  });

  it("tells Docker's engine by the headers of a real GET /_ping", async () => {
    const root = tree();
    const engine = http.createServer((req, res) => {
      res.writeHead(req.url === "/_ping" ? 200 : 404, {
        Server: "Docker/27.3.1 (linux)",
        "Api-Version": "1.47",
      });
      res.end("OK");
    });
    servers.push(engine);
    await new Promise<void>((resolve) => engine.listen(path.join(root, "var/run/docker.sock"), resolve));
    const r = await run(root);
    expect(r.findings[0]).toMatchObject({
      code: "docker.engine-answers",
      evidence: { engine: "docker", apiVersion: "1.47", server: "Docker/27.3.1 (linux)" },
    });
  });
});
