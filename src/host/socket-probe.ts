// An HTTP request over a unix socket that always comes back: a socket that accepts and never
// answers is a finding ("timeout", connected), never a hang of the run.
import type { SocketProbe, SocketProbeOptions } from "./types.js";

const MAX_BODY = 64 * 1024;

export async function probeUnixSocket(
  realPath: string,
  options: SocketProbeOptions = {},
): Promise<SocketProbe> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const started = performance.now();
  // Loaded on first use: a doctor run on a host without sockets never needs it (~1 ms, issue 14).
  const http = await import("node:http");
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const finish = (result: SocketProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      req.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ state: "timeout", timeoutMs, connected });
    const timer = setTimeout(() => finish({ state: "timeout", timeoutMs, connected }), timeoutMs);
    const req = http.request(
      {
        socketPath: realPath,
        method: options.method ?? "GET",
        path: options.path ?? "/_ping",
        headers: { Host: "localhost", "User-Agent": "podlift" },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < MAX_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
          }
          finish({
            state: "answered",
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_BODY),
            durationMs: Math.round(performance.now() - started),
          });
        });
        res.on("error", (error) => finish({ state: "error", error: error.message }));
      },
    );
    req.on("socket", (socket) => socket.on("connect", () => (connected = true)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") finish({ state: "absent" });
      else if (error.code === "ECONNREFUSED") finish({ state: "refused", error: error.message });
      else if (error.code === "EACCES" || error.code === "EPERM")
        finish({ state: "permission-denied", error: error.message });
      else finish({ state: "error", error: error.message });
    });
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    req.end();
  });
}
