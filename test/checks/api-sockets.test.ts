import { describe, expect, it } from "vitest";
import { check, identify } from "../../checks/api-sockets.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const PODMAN = {
  status: 200,
  headers: { server: "Libpod/5.2.2 (linux)", "libpod-api-version": "5.2.2", "api-version": "1.41" },
  body: "OK",
};
const DOCKER = {
  status: 200,
  headers: { server: "Docker/24.0.7 (linux)", "api-version": "1.43", "docker-experimental": "false" },
  body: "OK",
};
const host = (spec: Parameters<typeof tempHost>[1], files: Record<string, string> = {}) =>
  tempHost({ "etc/passwd": PASSWD, ...files }, { user: USER, ...spec });

describe("api-sockets", () => {
  it("passes when the rootless Podman socket answers, naming engine and API version", async () => {
    const r = await runOn(check, "fedora-40-rootless", {
      spec: { env: { DOCKER_HOST: "unix:///run/user/1000/podman/podman.sock" } },
    });
    expect(r.status).toBe("pass");
    // DOCKER_HOST names the same socket: it is probed once.
    expect(r.codes).toEqual(["socket.ok"]);
    expect(r.find("socket.ok").evidence).toMatchObject({ engine: "podman", apiVersion: "5.2.2" });
  });

  it("warns when the user's socket is absent and no Docker API is reachable", async () => {
    const r = await runOn(check, host({ env: { XDG_RUNTIME_DIR: "/run/user/1000" } }));
    expect(r.status).toBe("warn");
    expect(r.codes).toEqual(["socket.absent", "socket.docker-host-unset"]);
    expect(r.find("socket.absent").remedy).toContain("systemctl --user enable --now podman.socket");
  });

  it("tells Docker from Podman on /var/run/docker.sock", async () => {
    const r = await runOn(
      check,
      host({
        env: { XDG_RUNTIME_DIR: "/run/user/1000" },
        sockets: { "/var/run/docker.sock": DOCKER, "/run/user/1000/podman/podman.sock": PODMAN },
      }),
    );
    const docker = r.findings.find((f) => f.evidence?.path === "/var/run/docker.sock");
    expect(docker?.evidence).toMatchObject({ engine: "docker", apiVersion: "1.43" });
    expect(r.codes).not.toContain("socket.docker-host-unset");
  });

  it("fails a socket that accepts and never answers, within the probe timeout", async () => {
    const started = Date.now();
    const r = await runOn(
      check,
      host({
        env: { XDG_RUNTIME_DIR: "/run/user/1000" },
        sockets: { "/run/user/1000/podman/podman.sock": { state: "timeout", connected: true } },
      }),
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.find("socket.hung").message).toContain("accepts connections but sends no answer");
    expect(r.status).toBe("fail");
  });

  it("fails a stale socket file and a DOCKER_HOST that points nowhere", async () => {
    const r = await runOn(
      check,
      host({
        env: { XDG_RUNTIME_DIR: "/run/user/1000", DOCKER_HOST: "unix:///tmp/gone.sock" },
        sockets: { "/run/user/1000/podman/podman.sock": { state: "refused" } },
      }),
    );
    expect(r.find("socket.stale").status).toBe("fail");
    expect(r.find("socket.docker-host-missing").status).toBe("fail");
  });

  it("fails a DOCKER_HOST that names a known socket path that is missing", async () => {
    const r = await runOn(
      check,
      host({
        env: { XDG_RUNTIME_DIR: "/run/user/1000", DOCKER_HOST: "unix:///run/user/1000/podman/podman.sock" },
      }),
    );
    expect(r.codes).toEqual(["socket.docker-host-missing"]);
  });

  it("never probes or reports credentials in a remote DOCKER_HOST", async () => {
    const r = await runOn(
      check,
      host({ env: { XDG_RUNTIME_DIR: "/run/user/1000", DOCKER_HOST: "tcp://admin:s3cret@10.0.0.5:2376" } }),
    );
    expect(JSON.stringify(r.findings)).not.toContain("s3cret");
    expect(r.find("socket.docker-host-remote").evidence).toEqual({ scheme: "tcp" });
  });

  it("reports CRI-O on a Kubernetes node", async () => {
    const r = await runOn(check, host({}, { "etc/kubernetes/kubelet.conf": "" }));
    expect(r.codes).toContain("socket.crio-absent");
  });

  it("identifies engines from headers alone", () => {
    expect(identify(PODMAN.headers)).toEqual({ engine: "podman", apiVersion: "5.2.2" });
    expect(identify(DOCKER.headers)).toEqual({ engine: "docker", apiVersion: "1.43" });
    expect(identify({})).toEqual({ engine: "unknown", apiVersion: null });
  });
});
