// Tools written for Docker (compose, DockerSpawner, CI runners, IDEs) talk to the Docker API on a
// unix socket. Podman serves the same API from podman.socket, rootful at /run/podman/podman.sock
// and rootless at $XDG_RUNTIME_DIR/podman/podman.sock; DOCKER_HOST points the tools at it.
// https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
import type { Check, CheckContext, EvidenceValue, Finding } from "../src/doctor/types.js";
import type { SocketProbe } from "../src/host/types.js";

export const PROBE_TIMEOUT_MS = 2000;

interface Target {
  label: string;
  path: string;
  /** The socket the target user's tools are expected to use: its absence is a warning. */
  expected: boolean;
  remedyAbsent: string;
}

export const check: Check = {
  id: "api-sockets",
  title: "API sockets",
  docs: "docs/checks/api-sockets.md",
  applies: () => true,
  async run(ctx) {
    const { host, facts } = ctx;
    const user = facts.targetUser;
    const runtimeDir =
      (user.name === host.currentUser().name ? host.env("XDG_RUNTIME_DIR") : undefined) ??
      `/run/user/${user.uid}`;
    const targets: Target[] = [
      {
        label: "rootful Podman",
        path: "/run/podman/podman.sock",
        expected: facts.rootful,
        remedyAbsent: "sudo systemctl enable --now podman.socket",
      },
      {
        label: "Docker (/var/run/docker.sock)",
        path: "/var/run/docker.sock",
        expected: false,
        remedyAbsent: "",
      },
    ];
    if (!facts.rootful) {
      targets.push({
        label: `rootless Podman (${user.name})`,
        path: `${runtimeDir}/podman/podman.sock`,
        expected: true,
        remedyAbsent: `as ${user.name}: systemctl --user enable --now podman.socket (or \`podman system service --time=0 &\` where there is no systemd)`,
      });
    }
    const dockerHost = host.env("DOCKER_HOST");
    // DOCKER_HOST often names one of the sockets above: probe it once, as a socket the user needs.
    const named = targets.find((t) => dockerHost === `unix://${t.path}`);
    if (named) {
      named.expected = true;
      named.label += " (DOCKER_HOST)";
    }
    const findings: Finding[] = [];
    const probes = await Promise.all(targets.map((t) => probe(ctx, t.path)));
    for (const [i, t] of targets.entries()) {
      const p = probes[i] as SocketProbe;
      findings.push(
        ...(t === named && p.state === "absent" ? dockerHostMissing(dockerHost as string) : judge(t, p)),
      );
    }

    if (dockerHost && !named) {
      findings.push(...(await judgeDockerHost(ctx, dockerHost)));
    } else if (!dockerHost) {
      const served = targets.some(
        (t, i) => probes[i]?.state === "answered" && t.path === "/var/run/docker.sock",
      );
      if (!served) {
        const own = targets.find((t) => t.expected)?.path ?? "/run/podman/podman.sock";
        findings.push({
          code: "socket.docker-host-unset",
          status: "warn",
          message:
            "Nothing answers at /var/run/docker.sock and DOCKER_HOST is not set: Docker API clients will not find Podman.",
          evidence: { DOCKER_HOST: null },
          remedy: `export DOCKER_HOST=unix://${own} in the user's shell profile (or install podman-docker for the rootful socket).`,
        });
      }
    }
    if ((await host.stat("/etc/kubernetes")) !== null || (await host.stat("/var/lib/kubelet")) !== null) {
      const crio = await host.stat("/var/run/crio/crio.sock");
      findings.push({
        code: crio?.type === "socket" ? "socket.crio-present" : "socket.crio-absent",
        status: "pass",
        message:
          crio?.type === "socket"
            ? "This Kubernetes node runs CRI-O (/var/run/crio/crio.sock): its containers are not Podman's."
            : "This host has Kubernetes files but no CRI-O socket at /var/run/crio/crio.sock.",
        evidence: { path: "/var/run/crio/crio.sock", present: crio?.type === "socket" },
      });
    }
    return findings;
  },
};

function dockerHostMissing(value: string): Finding[] {
  return [
    {
      code: "socket.docker-host-missing",
      status: "fail",
      message: `DOCKER_HOST points to ${value.replace(/^unix:\/\//, "")}, which does not exist.`,
      evidence: { DOCKER_HOST: value },
      remedy: "Start podman.socket for this user, or correct DOCKER_HOST in the shell profile.",
    },
  ];
}

function probe({ host, signal }: CheckContext, path: string) {
  return host.probeSocket(path, { path: "/_ping", timeoutMs: PROBE_TIMEOUT_MS, signal });
}

/** What answered: Podman says so in its Server and Libpod-Api-Version headers. */
export function identify(headers: Record<string, string>): { engine: string; apiVersion: string | null } {
  const server = headers.server ?? "";
  const libpod = headers["libpod-api-version"];
  if (libpod || /libpod/i.test(server))
    return { engine: "podman", apiVersion: libpod ?? headers["api-version"] ?? null };
  if (/docker/i.test(server) || headers["docker-experimental"] !== undefined) {
    return { engine: "docker", apiVersion: headers["api-version"] ?? null };
  }
  return { engine: "unknown", apiVersion: headers["api-version"] ?? null };
}

function judge(t: Target, p: SocketProbe): Finding[] {
  const evidence: Record<string, EvidenceValue> = { path: t.path, state: p.state };
  switch (p.state) {
    case "absent":
      return t.expected
        ? [
            {
              code: "socket.absent",
              status: "warn",
              message: `No ${t.label} API socket at ${t.path}: Docker API clients (compose, IDEs, CI runners) cannot reach it.`,
              evidence,
              remedy: `Start it: ${t.remedyAbsent}`,
            },
          ]
        : [];
    case "not-socket":
      return [
        {
          code: "socket.not-a-socket",
          status: "fail",
          message: `${t.path} exists but is a ${p.type}, not a socket.`,
          evidence: { ...evidence, type: p.type },
          remedy: `Remove the stray ${p.type} at ${t.path} and restart the service that should create it.`,
        },
      ];
    case "refused":
      return [
        {
          code: "socket.stale",
          status: t.expected ? "fail" : "warn",
          message: `${t.path} exists but nothing listens on it (stale socket after a service stopped).`,
          evidence,
          remedy: t.remedyAbsent
            ? `Restart it: ${t.remedyAbsent}`
            : `Remove ${t.path} or start the service behind it.`,
        },
      ];
    case "permission-denied":
      return [
        {
          code: "socket.permission-denied",
          status: t.expected ? "fail" : "warn",
          message: `${t.path} exists but this user may not connect to it.`,
          evidence,
          remedy:
            "Run as the socket's owner, or check its mode and group (ls -l), and SELinux denials (ausearch -m avc).",
        },
      ];
    case "timeout":
      return [
        {
          code: "socket.hung",
          status: "fail",
          message: `${t.path} ${p.connected ? "accepts connections but sends no answer" : "does not accept connections"} within ${p.timeoutMs} ms.`,
          evidence: { ...evidence, timeoutMs: p.timeoutMs, connected: p.connected },
          remedy:
            "The service behind it is hung: restart it (systemctl restart podman.socket podman.service, or docker).",
        },
      ];
    case "error":
      return [
        {
          code: "socket.error",
          status: "warn",
          message: `Probing ${t.path} failed: ${p.error}`,
          evidence: { ...evidence, error: p.error },
        },
      ];
    case "answered": {
      const { engine, apiVersion } = identify(p.headers);
      const ok = p.status >= 200 && p.status < 300;
      return [
        {
          code: ok ? "socket.ok" : "socket.bad-status",
          status: ok ? "pass" : "warn",
          message: ok
            ? `${t.path} answers: ${engine}${apiVersion ? `, API ${apiVersion}` : ""} (${p.durationMs} ms).`
            : `${t.path} answers /_ping with HTTP ${p.status}.`,
          evidence: {
            ...evidence,
            engine,
            apiVersion,
            httpStatus: p.status,
            server: p.headers.server ?? null,
          },
        },
      ];
    }
  }
}

async function judgeDockerHost(ctx: CheckContext, value: string): Promise<Finding[]> {
  const url = /^unix:\/\/(.+)$/.exec(value);
  if (!url) {
    const scheme = /^([a-z]+):\/\//.exec(value)?.[1] ?? "unknown";
    return [
      {
        code: "socket.docker-host-remote",
        status: "pass",
        message: `DOCKER_HOST uses ${scheme}://, a remote engine podlift does not probe.`,
        evidence: { scheme },
      },
    ];
  }
  const path = url[1] as string;
  const p = await probe(ctx, path);
  const target: Target = {
    label: "DOCKER_HOST",
    path,
    expected: true,
    remedyAbsent: "start the service it names",
  };
  if (p.state === "absent") return dockerHostMissing(value);
  return judge(target, p).map((f) => ({ ...f, message: `DOCKER_HOST: ${f.message}` }));
}
