// Moving to Podman is not done while Docker still serves: clients that find /var/run/docker.sock
// keep talking to Docker's engine, a `docker` on PATH that is Docker's CLI does too, and Docker's
// proxy (docker-proxy) keeps holding the ports the projects will publish from Podman.
// podman-docker provides /usr/bin/docker (a script running podman) and the socket link instead.
// https://docs.podman.io/en/latest/markdown/podman-system-service.1.html
// https://docs.docker.com/reference/api/engine/ (GET /_ping)

import type { Check, CheckContext, Finding } from "../src/doctor/types.js";
import { installHint } from "../src/parse/distro.js";
import { safeLine } from "../src/text/safe-text.js";
import { identify, PROBE_TIMEOUT_MS } from "./api-sockets.js";

export const DOCKER_SOCKET = "/var/run/docker.sock";
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** A `docker` smaller than this is a script worth reading (podman-docker's is a few hundred bytes). */
const SCRIPT_MAX_BYTES = 64 * 1024;
/** Processes that hold a port for a Podman container: rootless port forwarders and conmon. */
const PODMAN_PORT_OWNERS = /^(rootlessport|conmon|pasta(\.avx2)?|slirp4netns|podman) /;

export const check: Check = {
  id: "docker-still-in-charge",
  title: "Docker still in charge",
  docs: "docs/checks/docker-still-in-charge.md",
  applies: () => true,
  async run(ctx) {
    const [engine, cli, ports] = await Promise.all([judgeEngine(ctx), judgeCli(ctx), judgePorts(ctx)]);
    return [...engine, ...cli, ...ports];
  },
};

async function judgeEngine({ host, facts, signal }: CheckContext): Promise<Finding[]> {
  const p = await host.probeSocket(DOCKER_SOCKET, { path: "/_ping", timeoutMs: PROBE_TIMEOUT_MS, signal });
  const evidence = { path: DOCKER_SOCKET, state: p.state };
  switch (p.state) {
    case "absent":
    case "refused":
      return [
        {
          code: "docker.engine-gone",
          status: "pass",
          message: `Docker's engine does not answer at ${DOCKER_SOCKET} (${p.state === "absent" ? "no socket" : "nothing listens"}).`,
          evidence,
        },
      ];
    case "answered": {
      const { engine, apiVersion } = identify(p.headers);
      if (engine === "podman") {
        return [
          {
            code: "docker.socket-is-podman",
            status: "pass",
            message: `${DOCKER_SOCKET} is served by Podman${apiVersion ? ` (API ${safeLine(apiVersion)})` : ""}: Docker clients reach Podman.`,
            evidence: { ...evidence, engine, apiVersion },
          },
        ];
      }
      const server = p.headers.server ?? null;
      return [
        {
          code: "docker.engine-answers",
          status: "fail",
          message: `Docker's engine still answers at ${DOCKER_SOCKET}${server ? ` (${safeLine(server)})` : ""}: clients that use the default socket keep running containers in Docker, not Podman.`,
          evidence: { ...evidence, engine, apiVersion, server, httpStatus: p.status },
          remedy: `Migrate what Docker still runs (podlift migrate), then stop it: sudo systemctl disable --now docker.service docker.socket; then ${installHint(facts, { debian: "podman-docker" })} so the socket and \`docker\` lead to Podman.`,
          fixes: ["docker-disable"],
        },
      ];
    }
    case "timeout":
      return [
        {
          code: "docker.engine-hung",
          status: "fail",
          message: `${DOCKER_SOCKET} ${p.connected ? "accepts connections but sends no answer" : "does not accept connections"} within ${p.timeoutMs} ms: clients that use it hang.`,
          evidence: { ...evidence, timeoutMs: p.timeoutMs, connected: p.connected },
          remedy:
            "Find what serves it (sudo ss -xlp | grep docker.sock); stop Docker (systemctl disable --now docker.service docker.socket) or restart Podman's socket if podman-docker links it.",
          fixes: ["docker-disable"],
        },
      ];
    default: {
      // The socket is root:docker 0660: without access, dockerd's pid file still says it runs.
      const pid = await dockerdPid(host);
      if (pid !== null) {
        return [
          {
            code: "docker.engine-running",
            status: "fail",
            message: `dockerd still runs (pid ${pid}, from /run/docker.pid) behind ${DOCKER_SOCKET}, which podlift may not probe: clients that use the default socket reach Docker, not Podman.`,
            evidence: { ...evidence, pid },
            remedy: `Migrate what Docker still runs (podlift migrate), then stop it: sudo systemctl disable --now docker.service docker.socket; then ${installHint(facts, { debian: "podman-docker" })}.`,
            fixes: ["docker-disable"],
          },
        ];
      }
      return [
        {
          code: "docker.engine-unknown",
          status: "warn",
          message: `Cannot tell whether Docker still answers at ${DOCKER_SOCKET}: ${p.state === "not-socket" ? `it is a ${p.type}, not a socket` : safeLine(p.error)}.`,
          evidence,
          remedy: "Run podlift as root (sudo podlift doctor) to probe the socket.",
        },
      ];
    }
  }
}

/** dockerd's pid when its pid file names a live process called dockerd; null otherwise. */
async function dockerdPid(host: CheckContext["host"]): Promise<number | null> {
  for (const file of ["/run/docker.pid", "/var/run/docker.pid"]) {
    const text = (await host.readFile(file).catch(() => null))?.trim() ?? "";
    if (!/^\d{1,9}$/.test(text)) continue;
    const comm = (await host.readFile(`/proc/${text}/comm`).catch(() => null))?.trim();
    if (comm === "dockerd") return Number(text);
  }
  return null;
}

/** Where `docker` is on PATH (the environment's, or the usual folders), and what it is. */
async function judgeCli({ host, signal }: CheckContext): Promise<Finding[]> {
  const dirs = (host.env("PATH") || DEFAULT_PATH).split(":").filter((d) => d.startsWith("/"));
  let found: string | null = null;
  for (const dir of dirs) {
    const p = `${dir.replace(/\/+$/, "")}/docker`;
    const info = await host.stat(p);
    if (info?.type === "file" && (info.mode & 0o111) !== 0) {
      found = p;
      break;
    }
  }
  if (found === null) {
    return [
      {
        code: "docker.cli-absent",
        status: "pass",
        message:
          "No `docker` command on PATH: scripts that call docker fail loudly rather than reach Docker.",
        evidence: { PATH: dirs },
      },
    ];
  }
  const kind = await whatIs(host, found, signal);
  if (kind.podman) {
    return [
      {
        code: "docker.cli-is-podman",
        status: "pass",
        message: `${safeLine(found)} runs Podman (${kind.how}).`,
        evidence: { path: safeLine(found), how: kind.how },
      },
    ];
  }
  return [
    {
      code: "docker.cli-is-docker",
      status: "warn",
      message: `${safeLine(found)} is Docker's own CLI (${kind.how}): scripts that call docker talk to Docker's engine, or fail when it is gone.`,
      evidence: { path: safeLine(found), how: kind.how },
      remedy:
        "Remove Docker's CLI package (docker-ce-cli, docker.io) and install podman-docker, which provides a `docker` that runs podman.",
    },
  ];
}

async function whatIs(
  host: CheckContext["host"],
  path: string,
  signal: AbortSignal,
): Promise<{ podman: boolean; how: string }> {
  const link = await host.readLink(path);
  if (link !== null) {
    const target = link.split("/").pop() ?? "";
    if (/^podman(-remote)?$/.test(target)) return { podman: true, how: `a link to ${safeLine(link)}` };
  }
  const info = await host.stat(path);
  if (info && info.size > 0 && info.size < SCRIPT_MAX_BYTES) {
    const text = await host.readFile(path).catch(() => null);
    if (text?.startsWith("#!") && /\bexec\s+\S*podman\b/.test(text))
      return { podman: true, how: "a script that runs podman (podman-docker)" };
  }
  const r = await host.run([path, "--version"], { timeoutMs: 3000, signal });
  const line = safeLine(r.stdout.trim().split("\n")[0]?.slice(0, 120) ?? "");
  if (r.exitCode === 0 && /^podman version/i.test(line))
    return { podman: true, how: `\`docker --version\`: ${line}` };
  if (r.exitCode === 0 && line) return { podman: false, how: `\`docker --version\`: ${line}` };
  return { podman: false, how: r.timedOut ? "`docker --version` hung" : "`docker --version` failed" };
}

async function judgePorts({ facts }: CheckContext): Promise<Finding[]> {
  if (facts.ports.length === 0) return [];
  const listening = await facts.probes.listening();
  if (listening === undefined) {
    return [
      {
        code: "docker.ports-unknown",
        status: "warn",
        message: "Cannot read /proc/net/tcp*: whether the ports projects need are free is unknown.",
        evidence: { ports: facts.ports },
      },
    ];
  }
  const taken = facts.ports
    .map((port) => ({ port, by: listening.filter((l) => l.proto === "tcp" && l.port === port) }))
    .filter((t) => t.by.length > 0);
  if (taken.length === 0) {
    return [
      {
        code: "docker.ports-free",
        status: "pass",
        message: `No process listens on the ports projects need (${facts.ports.join(", ")}).`,
        evidence: { ports: facts.ports },
      },
    ];
  }
  return taken.map(({ port, by }): Finding => {
    const owners = by
      .map((l) => (l.process ? safeLine(l.process) : null))
      .filter((o): o is string => o !== null);
    const evidence = {
      port,
      addresses: by.map((l) => `${l.address}:${l.port}`),
      owners: owners.length ? owners : null,
    };
    // Podman's own port holders: the project already runs under Podman, which is the goal.
    if (owners.length > 0 && owners.every((o) => PODMAN_PORT_OWNERS.test(o))) {
      return {
        code: "docker.port-podman",
        status: "pass",
        message: `Port ${port} is published by Podman (${owners.join(", ")}).`,
        evidence,
      };
    }
    const docker = owners.some((o) => o.startsWith("docker-proxy") || o.startsWith("dockerd"));
    // Without root on the live host, /proc does not say who holds it: possibly Podman itself, so no failure.
    const known = owners.length > 0;
    return {
      code: "docker.port-taken",
      status: known ? "fail" : "warn",
      message: known
        ? `Port ${port} is already bound by ${owners.join(", ")}: Podman cannot publish it${docker ? " while Docker still runs the old container" : ""}.`
        : `Port ${port} is already bound by a process podlift cannot name (it reads owners from /proc/PID/fd only as root on the live host): if it is not Podman's, Podman cannot publish it.`,
      evidence,
      remedy: docker
        ? `Stop the Docker container that publishes it (docker ps --filter publish=${port}), or Docker itself once migrated.`
        : `Find the owner (sudo ss -tlnp 'sport = :${port}') and stop it, or publish the project on another port.`,
    };
  });
}
