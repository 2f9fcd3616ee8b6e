// A published host port that something on the host already listens on: Podman's bind fails
// with "address already in use" and the service does not start. Mostly Docker's proxy, still
// publishing the container this project replaces. Listening sockets come from /proc/net/{tcp,udp}
// (proc(5)): https://man7.org/linux/man-pages/man5/proc_pid_net.5.html
import { publishedPorts } from "../src/compose/info.js";
import type { ComposeFinding, ComposeRule, Listener } from "../src/compose-check/types.js";

/** The IPv4 address of 8 hex digits in host (little-endian) order, as /proc/net/tcp writes it. */
function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return `${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 24) & 0xff}`;
}

/** An IPv6 address of 32 hex digits (four little-endian 32-bit words), compressed; v4-mapped as v4. */
function ipv6(hex: string): string {
  const groups: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    // Bytes in memory order are the word's bytes reversed.
    const b = [6, 4, 2, 0].map((i) => Number.parseInt(word.slice(i, i + 2), 16));
    groups.push(((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0));
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  // Compress the longest run of zero groups (two or more) to "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = groups.map((g) => g.toString(16));
  if (best < 0) return text.join(":");
  return `${text.slice(0, best).join(":")}::${text.slice(best + bestLen).join(":")}`;
}

/**
 * The listening sockets of one /proc/net/{tcp,tcp6,udp,udp6} text, in one pass: tcp sockets in
 * LISTEN (0A), udp sockets bound and unconnected (07). Lines not in that shape are skipped.
 */
export function parseProcNet(text: string, proto: "tcp" | "udp"): (Listener & { inode: number })[] {
  const want = proto === "tcp" ? "0A" : "07";
  const out: (Listener & { inode: number })[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const fields = text.slice(start, end).trim().split(/\s+/);
    start = end + 1;
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const [, local, , st, , , , , , inode] = fields;
    if (st !== want || !local || inode === undefined) continue;
    const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(local);
    if (!m?.[1] || !m[2]) continue;
    const address = m[1].length === 8 ? ipv4(m[1]) : ipv6(m[1]);
    out.push({ proto, address, port: Number.parseInt(m[2], 16), inode: Number(inode) });
  }
  return out;
}

const ANY = new Set(["0.0.0.0", "::", ""]);

/** The host IP of a ports: entry ("" for all addresses), as written: "ip:host:ctr", "[v6]:…", host_ip. */
export function hostIp(item: unknown): string {
  if (item && typeof item === "object") {
    const ip = (item as Record<string, unknown>).host_ip;
    return typeof ip === "string" ? ip.replace(/^\[|\]$/g, "") : "";
  }
  const spec = String(item ?? "").split("/")[0] ?? "";
  const v6 = /^\[([^\]]*)\]:/.exec(spec);
  if (v6) return v6[1] ?? "";
  const parts = spec.split(":");
  return parts.length === 3 ? (parts[0] ?? "") : "";
}

/**
 * Whether a listener blocks a publish on `ip`: a listener on all addresses blocks any publish; a
 * publish on all addresses is blocked by any listener; else the addresses must be the same.
 */
export function conflicts(listener: Listener, ip: string): boolean {
  if (ANY.has(listener.address) || ANY.has(ip)) return true;
  return listener.address === ip;
}

function where(l: Listener): string {
  return l.address.includes(":") ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

export const rule: ComposeRule = {
  id: "port-in-use",
  title: "Published ports something on the host already listens on",
  docs: "docs/compose-rules/port-in-use.md",
  codes: {
    "compose.port-in-use": {
      status: ["fail"],
      summary: "publishes a host port a process on this host already listens on",
    },
  },
  facts: ["listening"],
  requires: ["services", "listening"],
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    const byPort = new Map<string, Listener[]>();
    for (const l of host.listening ?? []) {
      const key = `${l.proto}:${l.port}`;
      const same = byPort.get(key);
      if (same) same.push(l);
      else byPort.set(key, [l]);
    }
    if (byPort.size === 0) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object" || !Array.isArray(svc.ports)) continue;
      for (const [i, item] of (svc.ports as unknown[]).entries()) {
        const ip = hostIp(item);
        for (const { hostPort, protocol } of publishedPorts(item)) {
          const proto = protocol.toLowerCase() === "udp" ? "udp" : "tcp";
          const holder = byPort.get(`${proto}:${hostPort}`)?.find((l) => conflicts(l, ip));
          if (!holder) continue;
          const who = holder.process ?? "a process podlift could not name (run as root to see it)";
          const docker = holder.process?.startsWith("docker-proxy") ?? false;
          out.push({
            code: "compose.port-in-use",
            status: "fail",
            message: `publishes ${ip ? `${ip}:` : ""}${hostPort}/${proto}, which ${who} already listens on (${where(holder)}): Podman cannot bind it`,
            remedy: docker
              ? `Docker still publishes it: stop the container (docker ps --filter publish=${hostPort}, then docker stop <name>), or stop Docker once migrated; or publish another host port.`
              : `Stop what holds ${hostPort}/${proto}${holder.process ? ` (${holder.process})` : ""}, or publish another host port.`,
            at: at(`services.${name}.ports.${i}`),
            service: name,
          });
        }
      }
    }
    return out;
  },
};
