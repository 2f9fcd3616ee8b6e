// The source side: the Docker Engine API over DOCKER_HOST (unix:// or tcp://). A volume's bytes
// come from GET /containers/{id}/archive on a container that is only created, never started, on
// an image imported from an empty tar: nothing is pulled and nothing runs, local or remote, any
// volume driver. https://docs.docker.com/reference/api/engine/version/v1.41/
import http, { type IncomingMessage } from "node:http";
import os from "node:os";
import { HostError } from "../errors.js";

export class DockerError extends HostError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface DockerVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface DockerContainer {
  Id: string;
  Names: string[];
  State: string;
}

/** An image as GET /images/json lists it. */
export interface DockerImage {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Size: number;
  Created: number;
}

/** A network as GET /networks lists it. */
export interface DockerNetwork {
  Name: string;
  Id: string;
  Driver: string;
  Scope: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network: string } | null;
  IPAM: {
    Driver: string;
    Options: Record<string, string> | null;
    Config:
      | { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }[]
      | null;
  };
  Options: Record<string, string> | null;
  Labels: Record<string, string> | null;
}

export const HELPER_IMAGE = "podlift/empty:1";
const HELPER_LABEL = "io.podlift.helper";
/** Who made a helper: "<hostname>/<pid>", so a later run removes only what a dead run left. */
const OWNER_LABEL = "io.podlift.helper-owner";
const owner = `${os.hostname()}/${process.pid}`;

export class DockerClient {
  private readonly target: { socketPath: string } | { host: string; port: number };

  /** The engine runs on this machine (a unix socket): its volume folders are local paths. */
  readonly isLocal: boolean;

  constructor(readonly dockerHost: string) {
    const unix = /^unix:\/\/(.+)$/.exec(dockerHost);
    const tcp = /^tcp:\/\/([^:/]+)(?::(\d+))?\/?$/.exec(dockerHost);
    this.isLocal = unix !== null;
    if (unix) this.target = { socketPath: unix[1] as string };
    else if (tcp) this.target = { host: tcp[1] as string, port: Number(tcp[2] ?? 2375) };
    else
      throw new DockerError(
        `DOCKER_HOST ${dockerHost} is not unix:// or tcp:// (TLS and ssh:// are not supported yet)`,
      );
  }

  /** A request whose response is read whole: JSON in, JSON out. */
  async call<T>(method: string, path: string, body?: unknown, timeoutMs = 30000): Promise<T> {
    const res = await this.open(method, path, body, timeoutMs);
    const text = await readAll(res);
    if ((res.statusCode ?? 500) >= 300) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON
      }
      throw new DockerError(`${method} ${path}: ${message || `HTTP ${res.statusCode}`}`, res.statusCode);
    }
    return (text === "" ? null : JSON.parse(text)) as T;
  }

  /** A request whose response body is streamed to the caller (archives). */
  open(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = 30000,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const payload =
        body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const req = http.request({
        ...this.target,
        method,
        path: `/v1.41${path}`,
        headers: {
          Host: "docker",
          ...(payload
            ? {
                "Content-Type": Buffer.isBuffer(body) ? "application/x-tar" : "application/json",
                "Content-Length": payload.length,
              }
            : {}),
        },
        agent: false,
        signal,
      });
      // Until the response starts; a stream that stalls afterwards is the caller's to time.
      req.setTimeout(timeoutMs, () =>
        req.destroy(new DockerError(`${method} ${path}: no answer within ${timeoutMs} ms`)),
      );
      req.on("response", (res) => {
        req.setTimeout(0);
        resolve(res);
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" || error.code === "ECONNREFUSED") {
          reject(new DockerError(`no Docker engine answers at ${this.dockerHost} (${error.code})`));
        } else
          reject(
            error instanceof DockerError ? error : new DockerError(`${method} ${path}: ${error.message}`),
          );
      });
      req.end(payload);
    });
  }

  version() {
    return this.call<{ Version: string; ApiVersion: string }>("GET", "/version", undefined, 5000);
  }

  async volumes(): Promise<DockerVolume[]> {
    return (await this.call<{ Volumes: DockerVolume[] | null }>("GET", "/volumes")).Volumes ?? [];
  }

  /** Sizes come from /system/df, which makes the engine walk every volume: call it once. */
  async volumeSizes(): Promise<Map<string, number>> {
    const df = await this.call<{ Volumes: DockerVolume[] | null }>("GET", "/system/df", undefined, 120000);
    return new Map((df.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size ?? -1]));
  }

  containersUsing(volume: string): Promise<DockerContainer[]> {
    const filters = encodeURIComponent(JSON.stringify({ volume: [volume] }));
    return this.call<DockerContainer[]>("GET", `/containers/json?all=1&filters=${filters}`);
  }

  async images(): Promise<DockerImage[]> {
    return (await this.call<DockerImage[] | null>("GET", "/images/json", undefined, 60000)) ?? [];
  }

  /** The image a reference (name, name:tag, id or id prefix) names; null when Docker has none. */
  async imageId(reference: string): Promise<string | null> {
    try {
      return (await this.call<{ Id: string }>("GET", `/images/${encodeURIComponent(reference)}/json`)).Id;
    } catch (error) {
      const status = (error as DockerError).status;
      // 400: a reference Docker cannot even parse (odd characters): no such image either.
      if (status === 404 || status === 400) return null;
      throw error;
    }
  }

  /**
   * One image as a docker-archive tar stream: by id it carries no name; by one name:tag
   * (GET /images/get?names=) it carries just that name. Never a repository without a tag, which
   * would export every image of it.
   */
  exportImage(reference: string, signal?: AbortSignal, timeoutMs = 120000): Promise<IncomingMessage> {
    return this.open(
      "GET",
      `/images/get?names=${encodeURIComponent(reference)}`,
      undefined,
      timeoutMs,
      signal,
    );
  }

  /**
   * Where GET /images/get for one reference is, for a client process (curl) to fetch: the URL,
   * and the unix socket to reach it through when the engine is local.
   */
  exportUrl(reference: string): { url: string; socketPath: string | null } {
    const path = `/v1.41/images/get?names=${encodeURIComponent(reference)}`;
    return "socketPath" in this.target
      ? { url: `http://docker${path}`, socketPath: this.target.socketPath }
      : { url: `http://${this.target.host}:${this.target.port}${path}`, socketPath: null };
  }

  async networks(): Promise<DockerNetwork[]> {
    return (await this.call<DockerNetwork[] | null>("GET", "/networks")) ?? [];
  }

  stop(id: string) {
    return this.call("POST", `/containers/${id}/stop?t=10`, undefined, 60000).catch((e: DockerError) => {
      if (e.status !== 304) throw e; // already stopped
    });
  }

  start(id: string) {
    return this.call("POST", `/containers/${id}/start`, undefined, 60000).catch((e: DockerError) => {
      if (e.status !== 304) throw e;
    });
  }

  private helperImage: Promise<boolean> | undefined;

  /** The helper image, imported on first need only (reading volume folders needs none). */
  private ensureHelperImage(): Promise<boolean> {
    this.helperImage ??= this.importHelperImage();
    return this.helperImage;
  }

  /** Helper containers whose podlift run on this host is gone; removed, with the count. */
  async removeLeftoverHelpers(): Promise<number> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${HELPER_LABEL}=true`] }));
    const found = await this.call<{ Id: string; Labels: Record<string, string> | null }[]>(
      "GET",
      `/containers/json?all=1&filters=${filters}`,
    );
    let removed = 0;
    for (const c of found) {
      const [host, pid] = (c.Labels?.[OWNER_LABEL] ?? "").split("/");
      if (host !== os.hostname() || pid === String(process.pid) || alive(Number(pid))) continue;
      await this.removeContainer(c.Id);
      removed++;
    }
    // An image a podlift run imported (labelled so) is this run's to remove at its end.
    const image = await this.call<{ Config?: { Labels?: Record<string, string> | null } }>(
      "GET",
      `/images/${HELPER_IMAGE}/json`,
    ).catch(() => null);
    if (image?.Config?.Labels?.[HELPER_LABEL] === "true") this.helperImage = Promise.resolve(true);
    return removed;
  }

  /** Removes the helper image if this client imported it (or adopted one a killed run left). */
  async removeHelperImage(): Promise<void> {
    if (this.helperImage && (await this.helperImage.catch(() => false))) {
      await this.call("DELETE", `/images/${HELPER_IMAGE}`).catch(() => undefined);
    }
  }

  /** Imports an image from an empty tar unless it is there; true when this call created it. */
  private async importHelperImage(): Promise<boolean> {
    try {
      await this.call("GET", `/images/${HELPER_IMAGE}/json`);
      return false;
    } catch (error) {
      if ((error as DockerError).status !== 404) throw error;
    }
    const [repo, tag] = HELPER_IMAGE.split(":") as [string, string];
    const res = await this.open(
      "POST",
      `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${tag}&changes=${encodeURIComponent(`LABEL ${HELPER_LABEL}=true`)}`,
      Buffer.alloc(1024),
    );
    const text = await readAll(res);
    if ((res.statusCode ?? 500) >= 300 || text.includes('"error"'))
      throw new DockerError(`cannot import the helper image: ${text.trim()}`);
    return true;
  }

  /** A container that is created and never started, with the volume mounted read-only. */
  async createHelper(volume: string): Promise<string> {
    await this.ensureHelperImage();
    const created = await this.call<{ Id: string }>("POST", "/containers/create", {
      Image: HELPER_IMAGE,
      Cmd: ["/podlift-never-runs"],
      Labels: { [HELPER_LABEL]: "true", [OWNER_LABEL]: owner },
      NetworkDisabled: true,
      HostConfig: { Mounts: [{ Type: "volume", Source: volume, Target: "/podlift-volume", ReadOnly: true }] },
    });
    return created.Id;
  }

  removeContainer(id: string) {
    // v=0: never remove volumes with the helper.
    return this.call("DELETE", `/containers/${id}?force=1&v=0`).catch(() => undefined);
  }

  /** The volume's content as a tar stream, entries named ./..., the volume root as "./". */
  archive(id: string, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.open(
      "GET",
      `/containers/${id}/archive?path=${encodeURIComponent("/podlift-volume/.")}`,
      undefined,
      60000,
      signal,
    );
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
  });
}

/** Where a Docker engine would be: DOCKER_HOST, else the local socket when it exists. */
export async function dockerAddress(
  host: { isLive: boolean; stat(p: string): Promise<{ type: string } | null> },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  return host.isLive && (await host.stat("/var/run/docker.sock"))?.type === "socket"
    ? "unix:///var/run/docker.sock"
    : null;
}

/** A client for the Docker engine, if one answers within 5 seconds; a hung engine holds nothing up. */
export async function answeringDocker(host: {
  isLive: boolean;
  stat(p: string): Promise<{ type: string } | null>;
}): Promise<DockerClient | null> {
  const address = await dockerAddress(host);
  if (address === null || !host.isLive) return null;
  try {
    const docker = new DockerClient(address);
    await docker.version();
    return docker;
  } catch {
    return null;
  }
}
