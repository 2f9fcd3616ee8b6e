// One image from the engine into `podman load`, fd to fd: a client process fetches the export
// (GET /images/get?names=<one reference>) and its stdout is podman load's stdin, so no byte passes
// through Node (relaying them through an HTTP response and a pipe cost ~15 % of the throughput on
// a 2-core machine). Two clients, whichever is installed, each fetching the same request the API
// route sends: curl (it reports the HTTP status and the byte count itself with --write-out,
// curl >= 7.63) and the docker CLI (`docker -H … save <reference>`, after a /_ping). Neither: the
// caller relays through Node. https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Image/operation/ImageGetAll
import { bytesWritten, describeExit, type Exit, type PipedSpec, spawnPiped } from "../host/piped.js";
import { holdSpoolFile, scratchBytes } from "../host/scratch.js";
import type { Host } from "../host/types.js";
import { findOnPath } from "../parse/distro.js";
import { safeLine } from "../text/safe-text.js";
import type { DockerClient } from "./docker.js";
import { formatBytes } from "./volumes.js";

export type ExportClient = { kind: "curl"; path: string } | { kind: "docker-cli"; path: string };

export interface ExportClients {
  curl: ExportClient | null;
  dockerCli: ExportClient | null;
}

/** The clients installed: curl (7.63 or later, for %{stderr}) and the docker CLI. */
export async function findExportClients(
  host: Host,
  searchPath = process.env.PATH ?? "",
): Promise<ExportClients> {
  const [curl, docker] = await Promise.all([
    findOnPath(host, "curl", searchPath),
    findOnPath(host, "docker", searchPath),
  ]);
  let usableCurl: ExportClient | null = null;
  if (curl) {
    const r = await host.run([curl, "--version"], { timeoutMs: 5000 });
    const m = /^curl (\d+)\.(\d+)/.exec(r.stdout);
    if (r.exitCode === 0 && m && (Number(m[1]) > 7 || (Number(m[1]) === 7 && Number(m[2]) >= 63)))
      usableCurl = { kind: "curl", path: curl };
  }
  return { curl: usableCurl, dockerCli: docker ? { kind: "docker-cli", path: docker } : null };
}

/** From this size on, the docker CLI goes first. */
export const LARGE_IMAGE_BYTES = 64 * 1024 * 1024;

/**
 * The client for one image, or null (through Node). A large image: the docker CLI first, which
 * writes 32 KiB blocks, where curl writes each piece of Docker's chunked response as it comes
 * (38,596 writes for 256 MiB, ~7 KB each: measured 2.0-2.75 s against 1.8-2.1 s on this machine).
 * A small one: curl first, which starts in ~5 ms where the docker CLI (a large Go binary that
 * pings the engine first) takes tens.
 */
export function clientFor(clients: ExportClients, sizeBytes: number): ExportClient | null {
  return sizeBytes >= LARGE_IMAGE_BYTES
    ? (clients.dockerCli ?? clients.curl)
    : (clients.curl ?? clients.dockerCli);
}

/** A very slow disk: the floor podman load's storing is allowed after the last byte. */
const STORE_BYTES_PER_S = 5 * 1024 * 1024;

/** The end of curl's standard error: its --write-out line. */
const WROTE = /^podlift-export: HTTP (\d{3}), (\d+) bytes$/;

/** The producer's argv: one reference per stream, so the archive names one image at most. */
export function exportArgv(client: ExportClient, docker: DockerClient, reference: string): string[] {
  if (client.kind === "docker-cli") return [client.path, "-H", docker.dockerHost, "save", reference];
  const { url, socketPath } = docker.exportUrl(reference);
  return [
    client.path,
    "--disable", // no ~/.curlrc (it must come first)
    "--silent",
    "--show-error",
    "--fail",
    "--no-buffer",
    "--noproxy",
    "*",
    ...(socketPath ? ["--unix-socket", socketPath] : []),
    "--write-out",
    "%{stderr}podlift-export: HTTP %{http_code}, %{size_download} bytes\\n",
    "--output",
    "-",
    url,
  ];
}

export interface PipeLoadOptions {
  client: ExportClient;
  docker: DockerClient;
  reference: string;
  /** How to start `podman load` as the target (argv, user, environment). */
  load: Omit<PipedSpec, "stdin" | "stdout" | "signal">;
  /** The folder podman load spools its stdin in (TMPDIR): its size tells who stalled. */
  spool: string;
  stallMs: number;
  signal?: AbortSignal;
  onBytes?: (delta: number) => void;
}

/** A load that finished although the export failed: the caller removes what it stored. */
export class ExportFailed extends Error {
  constructor(
    message: string,
    readonly loadOutput: string | null,
  ) {
    super(message);
  }
}

/**
 * Starts the producer and `podman load` in one tick (so Node never reads the pipe between them),
 * watches the producer's written bytes (/proc/<pid>/io) for progress and stalls, and returns the
 * bytes moved and what podman load printed.
 */
export async function pipeIntoLoad(options: PipeLoadOptions): Promise<{ bytes: number; out: string }> {
  const { reference, stallMs } = options;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (options.signal?.aborted) throw new Error("interrupted");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const producer = spawnPiped({
    argv: exportArgv(options.client, options.docker, reference),
    // The engine -H names, reached as DockerClient reaches it: no context, no TLS settings.
    env: { DOCKER_CONTEXT: undefined, DOCKER_TLS_VERIFY: undefined, DOCKER_CERT_PATH: undefined },
    stdin: "ignore",
    stdout: "pipe",
    signal: stop.signal,
  });
  const load = spawnPiped({
    ...options.load,
    stdin: producer.stdout ?? "ignore",
    stdout: "pipe",
    signal: stop.signal,
  });
  let out = "";
  load.stdout?.setEncoding("utf8");
  load.stdout?.on("data", (text: string) => {
    if (out.length < 64 * 1024) out += text;
  });
  let stalled: string | null = null;
  let counted = 0;
  let reported = 0;
  const report = (n: number) => {
    if (n > reported) options.onBytes?.(n - reported);
    reported = Math.max(reported, n);
  };
  let since = performance.now();
  const timer = setInterval(
    () => {
      if (producer.done) return;
      const n = bytesWritten(producer.pid);
      if (n === null) return;
      if (n !== counted) {
        // Not the byte or two curl writes to wake itself: progress starts with the stream.
        if (n >= 1024) report(n);
        counted = n;
        since = performance.now();
      } else if (performance.now() - since >= stallMs) {
        clearInterval(timer);
        stalled = stallMessage(n, scratchBytes(options.spool), stallMs);
        stop.abort();
      }
    },
    Math.min(250, stallMs / 4),
  );
  // The spool's file, held open from when it appears: a small image can be written, spooled,
  // loaded and its spool deleted between two of the producer's samples (and between two of the
  // spool's own, below, which stay for a host whose inotify is full).
  const spooled = holdSpoolFile(options.spool);
  let spoolMost = 0;
  const spoolTimer = setInterval(() => {
    if (load.done) clearInterval(spoolTimer);
    else spoolMost = Math.max(spoolMost, scratchBytes(options.spool) ?? 0);
  }, 25);
  let deadline: NodeJS.Timeout | undefined;
  try {
    const producerExit = await producer.exited;
    clearInterval(timer);
    const wrote = producerExit.stderrLines.map((l) => WROTE.exec(l)).find((m) => m !== null);
    if (producerExit.code !== 0) {
      // A writer whose reader went away is the consequence: podman load's own end says why.
      const broken =
        producerExit.signal === "SIGPIPE" ||
        (options.client.kind === "curl" && producerExit.code === 23) ||
        producerExit.stderrLines.some((l) => /broken pipe/i.test(l));
      const loadEnded = broken
        ? await Promise.race([load.exited, new Promise<null>((r) => setTimeout(() => r(null), 2000))])
        : null;
      // A producer that failed may have sent a truncated archive: load must not keep it.
      await load.kill();
      const loadExit = await load.exited;
      const why =
        stalled ??
        (options.signal?.aborted
          ? "interrupted"
          : loadEnded && loadEnded.code !== 0
            ? loadFailure(loadEnded)
            : exportFailure(options.client, producerExit, wrote?.[1] ?? null, reference, options.docker));
      throw new ExportFailed(why, loadExit.code === 0 ? out : null);
    }
    // The docker CLI does not say how much it wrote, and /proc/<pid>/io went with it: the spool
    // holds it all once load has read the rest (podman deletes the file when the load ends).
    const bytes = wrote
      ? Number(wrote[2])
      : Math.max(counted, spoolMost, await spooledAtEnd(options.spool, load, spooled));
    report(bytes);
    // Storing runs at disk speed once the last byte is in; a load still busy after this long
    // (a store lock held elsewhere, a hung disk) is ended rather than waited on for ever.
    const storeMs = Math.max(stallMs, 120000) + (bytes / STORE_BYTES_PER_S) * 1000;
    deadline = setTimeout(() => {
      stalled = `podman load did not finish storing within ${Math.round(storeMs / 1000)} s after the last byte`;
      stop.abort();
    }, storeMs);
    const loadExit = await load.exited;
    if (stalled) throw new Error(stalled);
    if (options.signal?.aborted) throw new Error("interrupted");
    if (loadExit.code !== 0) throw new Error(loadFailure(loadExit));
    return { bytes, out };
  } finally {
    clearInterval(timer);
    clearInterval(spoolTimer);
    spooled.close();
    clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all([producer.kill(), load.kill()]);
  }
}

/**
 * What podman load spooled, once it has read all the producer wrote: the held spool file's size
 * (or, where none is held, the largest sample) once load ends or 2 s pass (load may still be
 * reading the pipe's last bytes when the producer ends).
 */
async function spooledAtEnd(
  dir: string,
  load: { done: boolean; exited: Promise<unknown> },
  held: { bytes(): number },
): Promise<number> {
  let most = 0;
  for (let i = 0; i < 40 && !load.done; i++) {
    most = Math.max(most, held.bytes(), scratchBytes(dir) ?? 0); // what podman load has spooled
    await Promise.race([load.exited, new Promise((r) => setTimeout(r, 50))]);
  }
  return Math.max(most, held.bytes());
}

/**
 * Who stopped: when podman load stops reading, the socket between the two fills (64 KiB and
 * more) and the producer has written more than the spool holds; when the engine stops sending,
 * load has spooled all of it.
 */
export function stallMessage(written: number, spooledBytes: number | null, stallMs: number): string {
  const seconds = `${stallMs / 1000} s`;
  // A few of the producer's written bytes are not the stream (curl wakes itself through a socket).
  const slack = 16 * 1024;
  if (spooledBytes === null)
    return written < slack
      ? `the Docker engine gave no answer within ${stallMs} ms`
      : `no byte moved from the Docker engine into podman load for ${seconds} (after ${formatBytes(written)})`;
  if (written - spooledBytes > slack) return `podman load read nothing for ${seconds}`;
  return spooledBytes === 0
    ? `the Docker engine gave no answer within ${stallMs} ms`
    : `the Docker engine sent nothing for ${seconds} (after ${formatBytes(spooledBytes)})`;
}

function loadFailure(exit: Exit): string {
  const said = exit.stderrLines.filter((l) => l.trim() !== "").at(-1);
  return `podman load failed (${describeExit(exit)})${said ? `: ${safeLine(said)}` : ""}`;
}

function exportFailure(
  client: ExportClient,
  exit: Exit,
  status: string | null,
  reference: string,
  docker: DockerClient,
): string {
  const said = exit.stderrLines.filter((l) => l.trim() !== "" && !WROTE.test(l));
  if (client.kind === "curl") {
    // curl's exit codes: https://curl.se/libcurl/c/libcurl-errors.html
    if (exit.code === 7)
      return `no Docker engine answers at ${docker.dockerHost} (curl: ${safeLine(said.at(-1) ?? "")})`;
    if (exit.code === 22 && status) return `Docker refused to export ${reference}: HTTP ${status}`;
    if (exit.code === 18) return "the Docker engine ended the stream early";
    if (exit.code === 23) return "podman load stopped reading (curl could not write to it)";
  }
  const name = client.kind === "curl" ? "curl" : "docker save";
  return `exporting ${reference} with ${name} failed (${describeExit(exit)})${said.length ? `: ${safeLine(said.at(-1) as string)}` : ""}`;
}
