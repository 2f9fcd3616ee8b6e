import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conflicts, hostIp, parseProcNet, rule } from "../../compose-rules/port-in-use.js";
import { listeningSockets } from "../../src/compose-check/facts.js";
import type { HostContext, Listener } from "../../src/compose-check/types.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { LiveHost } from "../../src/host/live-host.js";
import { ROOTLESS, runRule, yaml } from "./helpers.js";

const HEAD =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const HEAD6 =
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

// A Docker host: docker-proxy on 0.0.0.0:8080 and :::8080, postgres on 127.0.0.1:5432, sshd on
// 0.0.0.0:22, an established ssh session, redis on ::1:6379.
const TCP = [
  HEAD,
  "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31245 1 0000000000000000 100 0 0 10 0",
  "   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 28810 1 0000000000000000 100 0 0 10 0",
  "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19022 1 0000000000000000 100 0 0 10 0",
  "   3: 0A00000A:0016 0200000A:D2F4 01 00000000:00000000 02:0009A1E2 00000000     0        0 48211 4 0000000000000000 20 4 31 10 -1",
  "   4: 0100007F:0CEA 00000000:0000 06 00000000:00000000 03:00000A2B 00000000     0        0 0 3 0000000000000000",
  "",
].join("\n");
const TCP6 = [
  HEAD6,
  "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31250 1 0000000000000000 100 0 0 10 0",
  "   1: 00000000000000000000000001000000:18EB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 29110 1 0000000000000000 100 0 0 10 0",
  "   2: 0000000000000000FFFF00000100007F:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 40120 1 0000000000000000 100 0 0 10 0",
  "   3: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40121 1 0000000000000000 100 0 0 10 0",
  "",
].join("\n");
// dnsmasq on 0.0.0.0:53, avahi on :::5353 (bound), an NTP client connected (01: not bound only).
const UDP = [
  "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
  "  112: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 20012 2 0000000000000000 0",
  "  371: 0A00000A:A1C3 7B2D4B5E:007B 01 00000000:00000000 00:00000000 00000000   108        0 41002 2 0000000000000000 0",
  "",
].join("\n");
const UDP6 = [
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
  "  931: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   107        0 20988 2 0000000000000000 0",
  "",
].join("\n");

const all = (): Listener[] =>
  [
    ...parseProcNet(TCP, "tcp"),
    ...parseProcNet(TCP6, "tcp"),
    ...parseProcNet(UDP, "udp"),
    ...parseProcNet(UDP6, "udp"),
  ].map(({ inode: _, ...l }) => l);
const HOST: HostContext = { ...ROOTLESS, listening: all() };

describe("port-in-use: parsing /proc/net", () => {
  it("reads listening tcp and bound udp sockets, IPv4 little-endian, IPv6 by 32-bit word", () => {
    expect(parseProcNet(TCP, "tcp")).toEqual([
      { proto: "tcp", address: "0.0.0.0", port: 8080, inode: 31245 },
      { proto: "tcp", address: "127.0.0.1", port: 5432, inode: 28810 },
      { proto: "tcp", address: "0.0.0.0", port: 22, inode: 19022 },
    ]);
    expect(parseProcNet(TCP6, "tcp").map((l) => `${l.address} ${l.port}`)).toEqual([
      ":: 8080",
      "::1 6379",
      "127.0.0.1 9090",
      "2001:db8::1 443",
    ]);
    expect(parseProcNet(UDP, "udp")).toEqual([{ proto: "udp", address: "0.0.0.0", port: 53, inode: 20012 }]);
    expect(parseProcNet(UDP6, "udp")).toEqual([{ proto: "udp", address: "::", port: 5353, inode: 20988 }]);
    expect(parseProcNet("garbage\n\n  0: zz:zz 0 0A\n", "tcp")).toEqual([]);
  });

  it("parses a 50k-line table in one pass", () => {
    const lines = [HEAD];
    for (let i = 0; i < 50_000; i++) {
      const port = (1024 + (i % 60000)).toString(16).toUpperCase().padStart(4, "0");
      const st = i % 5 === 0 ? "0A" : "01";
      lines.push(
        `${String(i).padStart(5)}: 0100007F:${port} 0100007F:D2F4 ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1`,
      );
    }
    const text = lines.join("\n");
    const t0 = performance.now();
    const found = parseProcNet(text, "tcp");
    const ms = performance.now() - t0;
    console.log(`port-in-use: parsed ${lines.length} lines (${text.length} bytes) in ${ms.toFixed(1)} ms`);
    expect(found).toHaveLength(10_000);
  });

  it("gathers the four tables through the host; undefined when /proc/net is not there", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "podlift-procnet-"));
    const { mkdirSync } = await import("node:fs");
    mkdirSync(path.join(root, "proc/net"), { recursive: true });
    writeFileSync(path.join(root, "podlift-fixture.json"), "{}");
    expect(await listeningSockets(new FixtureHost(root))).toBeUndefined();
    for (const [f, t] of Object.entries({ tcp: TCP, tcp6: TCP6, udp: UDP, udp6: UDP6 }))
      writeFileSync(path.join(root, "proc/net", f), t);
    // Not live: no process names.
    expect(await listeningSockets(new FixtureHost(root))).toEqual(all());
  });

  it("host IPs as written", () => {
    expect(hostIp("8080:80")).toBe("");
    expect(hostIp("127.0.0.1:5432:5432")).toBe("127.0.0.1");
    expect(hostIp("[::1]:6379:6379")).toBe("::1");
    expect(hostIp({ target: 80, published: "8080", host_ip: "10.0.0.5" })).toBe("10.0.0.5");
    const on = (address: string): Listener => ({ proto: "tcp", address, port: 1 });
    expect(conflicts(on("0.0.0.0"), "127.0.0.1")).toBe(true);
    expect(conflicts(on("127.0.0.1"), "")).toBe(true);
    expect(conflicts(on("127.0.0.1"), "0.0.0.0")).toBe(true);
    expect(conflicts(on("127.0.0.1"), "10.0.0.5")).toBe(false);
  });
});

describe("port-in-use", () => {
  it("no conflict: ports nobody listens on, and a host without /proc/net", () => {
    const text = yaml(
      "services:",
      "  app:",
      "    image: ghcr.io/example/app:1.4",
      "    ports:",
      '      - "8081:8080"',
      '      - "127.0.0.1:2222:22"',
      '      - "5353:5353"',
      "  worker:",
      "    image: ghcr.io/example/worker:1.4",
    );
    expect(runRule(rule, text, HOST).codes).toEqual([]);
    expect(
      runRule(rule, yaml("services:", "  web:", "    ports:", '      - "8080:80"'), ROOTLESS).codes,
    ).toEqual([]);
  });

  it("a port bound on 0.0.0.0 conflicts with any publish, whatever its host IP", () => {
    // A Nextcloud project whose Docker twin still runs.
    const text = yaml(
      "services:",
      "  nextcloud:",
      "    image: docker.io/library/nextcloud:29-apache",
      "    ports:",
      '      - "8080:80"',
      "  proxy:",
      "    image: docker.io/library/caddy:2",
      "    ports:",
      '      - "127.0.0.1:8080:80"',
      "      - target: 22",
      '        published: "22"',
      "        host_ip: 192.168.1.20",
    );
    const { findings, codes } = runRule(rule, text, HOST);
    expect(codes).toEqual(["5:compose.port-in-use", "9:compose.port-in-use", "10:compose.port-in-use"]);
    expect(findings[0]?.message).toBe(
      "publishes 8080/tcp, which a process podlift could not name (run as root to see it) already listens on (0.0.0.0:8080): Podman cannot bind it",
    );
    expect(findings[0]?.service).toBe("nextcloud");
    expect(findings[0]?.remedy).toBe("Stop what holds 8080/tcp, or publish another host port.");
  });

  it("127.0.0.1 blocks a publish on 127.0.0.1 or on all addresses, not on another address", () => {
    const text = yaml(
      "services:",
      "  db:",
      "    image: docker.io/library/postgres:16",
      "    ports:",
      '      - "127.0.0.1:5432:5432"',
      '      - "5432:5432"',
      '      - "0.0.0.0:5432:5432"',
      '      - "10.0.0.5:5432:5432"',
    );
    expect(runRule(rule, text, HOST).codes).toEqual([
      "5:compose.port-in-use",
      "6:compose.port-in-use",
      "7:compose.port-in-use",
    ]);
  });

  it("IPv6: :: blocks every publish; ::1 blocks [::1] and all addresses", () => {
    const text = yaml(
      "services:",
      "  cache:",
      "    image: docker.io/library/redis:7",
      "    ports:",
      '      - "[::1]:6379:6379"',
      '      - "[2001:db8::5]:6379:6379"',
      '      - "[2001:db8::5]:8080:80"',
    );
    const { findings, codes } = runRule(rule, text, HOST);
    expect(codes).toEqual(["5:compose.port-in-use", "7:compose.port-in-use"]);
    expect(findings[0]?.message).toContain(
      "which a process podlift could not name (run as root to see it) already listens on ([::1]:6379)",
    );
  });

  it("udp: bound sockets by protocol; tcp on the same port is not a conflict", () => {
    const text = yaml(
      "services:",
      "  pihole:",
      "    image: docker.io/pihole/pihole:2024.07.0",
      "    ports:",
      '      - "53:53/tcp"',
      '      - "53:53/udp"',
      "      - target: 5353",
      "        published: 5353",
      "        protocol: udp",
    );
    const { findings, codes } = runRule(rule, text, { ...HOST, portStart: 0 });
    expect(codes).toEqual(["6:compose.port-in-use", "7:compose.port-in-use"]);
    expect(findings[0]?.message).toContain("53/udp");
  });

  it("names the process; for docker-proxy, stopping the Docker container is the remedy", () => {
    const listening = all().map((l) => (l.port === 8080 ? { ...l, process: "docker-proxy (pid 2315)" } : l));
    const text = yaml(
      "services:",
      "  web:",
      "    image: docker.io/library/nginx:1.27",
      "    ports:",
      '      - "8080:80"',
    );
    const [finding] = runRule(rule, text, { ...HOST, listening }).findings;
    expect(finding?.message).toBe(
      "publishes 8080/tcp, which docker-proxy (pid 2315) already listens on (0.0.0.0:8080): Podman cannot bind it",
    );
    expect(finding?.remedy).toBe(
      "Docker still publishes it: stop the container (docker ps --filter publish=8080, then docker stop <name>), or stop Docker once migrated; or publish another host port.",
    );
  });
});

describe("port-in-use on this machine", () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("a node server on a free high port: the finding names node (as root)", async () => {
    const host = new LiveHost();
    const t0 = performance.now();
    const listening = await listeningSockets(host);
    console.log(
      `port-in-use: gathered ${listening?.length} sockets in ${(performance.now() - t0).toFixed(1)} ms`,
    );
    const text = yaml(
      "services:",
      "  web:",
      "    image: docker.io/library/nginx:1.27",
      "    ports:",
      `      - "${port}:80"`,
    );
    const { findings, codes } = runRule(rule, text, { ...ROOTLESS, listening });
    expect(codes).toEqual(["5:compose.port-in-use"]);
    // Under vitest the worker's comm is "node (vitest N)".
    if (host.currentUser().uid === 0) {
      expect(findings[0]?.message).toContain("which node");
      expect(findings[0]?.message).toContain(`(pid ${process.pid}) already listens on`);
    } else expect(findings[0]?.message).toContain("which a process podlift could not name");
    expect(findings[0]?.message).toContain(`(127.0.0.1:${port})`);
  });
});
