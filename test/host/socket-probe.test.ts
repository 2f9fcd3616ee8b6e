// Real unix sockets: a server that answers like Podman, one that accepts and never answers,
// a stale socket file, and no socket at all.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LiveHost } from "../../src/host/live-host.js";
import { probeUnixSocket } from "../../src/host/socket-probe.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-sock-"));
const servers: { close(): void }[] = [];
const listen = (server: net.Server, name: string) =>
  new Promise<string>((resolve) => {
    const p = path.join(dir, name);
    server.listen(p, () => resolve(p));
    servers.push(server);
  });

afterAll(() => {
  for (const s of servers) s.close();
});

describe("probeUnixSocket", () => {
  it("reads status, headers and body from a server that answers", async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { Server: "Libpod/5.2.2 (linux)", "Libpod-Api-Version": "5.2.2" });
      res.end(req.url);
    });
    const p = await listen(server, "podman.sock");
    const r = await probeUnixSocket(p, { path: "/_ping" });
    expect(r).toMatchObject({
      state: "answered",
      status: 200,
      body: "/_ping",
      headers: { "libpod-api-version": "5.2.2" },
    });
  });

  it("gives up on a socket that accepts and never answers, saying it connected", async () => {
    const hung = net.createServer(() => {
      // accept, read nothing, answer nothing
    });
    const p = await listen(hung, "hung.sock");
    const started = Date.now();
    const r = await probeUnixSocket(p, { timeoutMs: 300 });
    expect(r).toEqual({ state: "timeout", timeoutMs: 300, connected: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reports a stale socket file (its server exited) as refused", async () => {
    const p = path.join(dir, "stale.sock");
    // A process that exits without closing its server leaves the socket file behind, as a
    // crashed service does.
    execFileSync(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(p)}, () => process.exit(0))`,
    ]);
    const r = await probeUnixSocket(p, { timeoutMs: 1000 });
    expect(r.state).toBe("refused");
  });

  it("stops waiting as soon as it is aborted", async () => {
    const p = await listen(
      net.createServer(() => {}),
      "abort.sock",
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const r = await probeUnixSocket(p, { timeoutMs: 10000, signal: controller.signal });
    expect(r.state).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("says absent for a missing path and not-socket for a regular file, through the host", async () => {
    const host = new LiveHost(dir);
    expect(await host.probeSocket("/missing.sock")).toEqual({ state: "absent" });
    writeFileSync(path.join(dir, "file.sock"), "");
    expect(await host.probeSocket("/file.sock")).toEqual({ state: "not-socket", type: "file" });
  });
});
