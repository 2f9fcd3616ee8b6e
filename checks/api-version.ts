// Docker API clients send the API version they were written for and refuse a server that is older:
// docker-py defaults to 1.41 (DockerSpawner, Ansible's docker modules), DOCKER_API_VERSION pins
// another, and the engine answers "client version 1.41 is too new" or the client gives up. Podman
// 3.x serves the compat API as 1.40, Podman 4.1 and later as 1.41 (podman#14219). GET /version
// says which (ApiVersion, and MinAPIVersion below which it refuses).
// https://docs.docker.com/reference/api/engine/#api-version-matrix
// https://docker-py.readthedocs.io/en/stable/client.html (version, DOCKER_API_VERSION)
import type { Check, Finding } from "../src/doctor/types.js";
import { userAssignments } from "../src/doctor/user-env.js";
import type { SocketProbe } from "../src/host/types.js";
import { safeLine, shellQuote } from "../src/text/safe-text.js";
import { PROBE_TIMEOUT_MS } from "./api-sockets.js";

/** What docker-py sends when nothing pins a version. */
export const DOCKER_PY_DEFAULT = "1.41";

/** "1.41" as [1, 41]; null for anything that is not dotted numbers. */
export function parseApiVersion(text: string): number[] | null {
  const m = /^v?(\d+(?:\.\d+){0,2})$/.exec(text.trim());
  return m ? (m[1] as string).split(".").map(Number) : null;
}

/** Negative, zero or positive as a is older than, equal to or newer than b. */
export function compareApi(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

interface Wanted {
  version: string;
  parsed: number[];
  /** Who sends it: docker-py's default, or where DOCKER_API_VERSION is set. */
  source: string;
  pinned: boolean;
}

export const check: Check = {
  id: "api-version",
  title: "Docker API version",
  docs: "docs/checks/api-version.md",
  applies: () => true,
  async run(ctx) {
    const { host, facts } = ctx;
    const user = facts.targetUser;
    const own = facts.rootful ? "/run/podman/podman.sock" : `/run/user/${user.uid}/podman/podman.sock`;
    const self = user.name === host.currentUser().name;
    const assigned = await userAssignments(host, user, ["DOCKER_API_VERSION", "DOCKER_HOST"]);
    const envPin = self ? host.env("DOCKER_API_VERSION") : undefined;
    const envHost = self ? host.env("DOCKER_HOST") : undefined;

    const findings: Finding[] = [];
    const wanted: Wanted[] = [
      { version: DOCKER_PY_DEFAULT, parsed: [1, 41], source: "docker-py's default", pinned: false },
    ];
    const pins = [
      ...assigned
        .filter((a) => a.name === "DOCKER_API_VERSION")
        .map((a) => ({ value: a.value, source: `DOCKER_API_VERSION in ${a.file}:${a.line}` })),
      ...(envPin ? [{ value: envPin, source: "DOCKER_API_VERSION in podlift's environment" }] : []),
    ];
    for (const pin of pins) {
      const parsed = parseApiVersion(pin.value);
      if (parsed === null) {
        findings.push({
          code: "api.pin-invalid",
          status: "warn",
          message: `${safeLine(pin.source)} is "${safeLine(pin.value.slice(0, 60))}", not an API version such as 1.41: clients fail to parse it.`,
          evidence: { value: safeLine(pin.value.slice(0, 60)), source: safeLine(pin.source) },
          remedy:
            "Set it to a version the socket serves (see GET /version), or remove it and let clients negotiate.",
        });
      } else wanted.push({ version: pin.value.trim(), parsed, source: pin.source, pinned: true });
    }

    // The user's own Podman socket, and whatever unix socket DOCKER_HOST names.
    const paths = new Set([own]);
    for (const value of [envHost, ...assigned.filter((a) => a.name === "DOCKER_HOST").map((a) => a.value)]) {
      const m = value ? /^unix:\/\/(\/.+)$/.exec(value) : null;
      if (m) paths.add(m[1] as string);
    }
    let answered = 0;
    for (const path of paths) {
      const p = await host.probeSocket(path, {
        path: "/version",
        timeoutMs: PROBE_TIMEOUT_MS,
        signal: ctx.signal,
      });
      if (p.state !== "answered") continue;
      answered++;
      findings.push(...judge(path, p, wanted));
    }
    if (answered === 0) {
      findings.push({
        code: "api.no-socket",
        status: "warn",
        message: `No Docker-API socket answered GET /version (${[...paths].map(safeLine).join(", ")}): the API version clients will meet is unknown.`,
        evidence: { paths: [...paths].map(safeLine) },
        remedy: "Start the socket first (see the api-sockets check), then run this check again.",
      });
    }
    return findings;
  },
};

function judge(socket: string, p: Extract<SocketProbe, { state: "answered" }>, wanted: Wanted[]): Finding[] {
  const path = safeLine(socket);
  let body: { ApiVersion?: unknown; MinAPIVersion?: unknown; Version?: unknown } = {};
  try {
    const parsed = JSON.parse(p.body) as unknown;
    if (parsed && typeof parsed === "object") body = parsed as typeof body;
  } catch {
    // Not JSON: the API-Version header, when there is one, still says it.
  }
  const text = typeof body.ApiVersion === "string" ? body.ApiVersion : (p.headers["api-version"] ?? "");
  const api = parseApiVersion(text);
  const minText = typeof body.MinAPIVersion === "string" ? body.MinAPIVersion : null;
  const min = minText === null ? null : parseApiVersion(minText);
  const engine = typeof body.Version === "string" ? safeLine(body.Version.slice(0, 40)) : null;
  const evidence = {
    path,
    httpStatus: p.status,
    apiVersion: api ? text : null,
    minApiVersion: min ? minText : null,
    engineVersion: engine,
  };
  if (p.status < 200 || p.status >= 300 || api === null) {
    return [
      {
        code: "api.unknown",
        status: "warn",
        message: `${path} answered GET /version with HTTP ${p.status} and no API version podlift can read.`,
        evidence: { ...evidence, body: safeLine(p.body.slice(0, 120)) },
        remedy: `Ask it by hand: curl --unix-socket ${shellQuote(socket)} http://d/version`,
      },
    ];
  }
  const tooNew = wanted.filter((w) => compareApi(w.parsed, api) > 0);
  const tooOld = min ? wanted.filter((w) => w.pinned && compareApi(w.parsed, min) < 0) : [];
  const out: Finding[] = [];
  if (tooNew.length > 0) {
    out.push({
      code: "api.server-too-old",
      status: "fail",
      message: `${path} serves Docker API ${text}${engine ? ` (engine ${engine})` : ""}, older than what clients here send: ${tooNew.map((w) => `${w.version} (${safeLine(w.source)})`).join(", ")}. They fail with "client version ${tooNew[0]?.version} is too new".`,
      evidence: { ...evidence, clients: tooNew.map((w) => `${w.version} ${safeLine(w.source)}`) },
      remedy:
        "Upgrade Podman to 4.1 or later (compat API 1.41); until then pin clients to the server's version (DockerSpawner: c.DockerSpawner.client_kwargs = {'version': 'auto'}, or DOCKER_API_VERSION=" +
        `${text}).`,
    });
  }
  if (tooOld.length > 0) {
    out.push({
      code: "api.pin-too-old",
      status: "fail",
      message: `${tooOld.map((w) => `${w.version} (${safeLine(w.source)})`).join(", ")} is below ${path}'s minimum API version ${minText}: the server refuses those clients.`,
      evidence: { ...evidence, clients: tooOld.map((w) => `${w.version} ${safeLine(w.source)}`) },
      remedy: `Raise DOCKER_API_VERSION to at least ${minText} (or remove it and let clients negotiate).`,
    });
  }
  if (out.length === 0) {
    out.push({
      code: "api.ok",
      status: "pass",
      message: `${path} serves Docker API ${text}${minText ? ` (minimum ${minText})` : ""}: every client version found here (${wanted.map((w) => w.version).join(", ")}) is within it.`,
      evidence,
    });
  }
  return out;
}
