import { describe, expect, it } from "vitest";
import { check } from "../../checks/docker-still-in-charge.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

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
    expect(r.find("docker.port-taken").evidence).toMatchObject({ port: 8080, addresses: ["0.0.0.0:8080"] });
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
