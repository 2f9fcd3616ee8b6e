// Two things decide whether names resolve in a container. Its resolv.conf comes from the host's,
// with loopback servers taken out (a container's 127.0.0.53 is its own, with nothing behind it):
// a host that lists only systemd-resolved's stub leaves Podman to find the real servers in
// /run/systemd/resolve/resolv.conf, or to fall back to public ones. And service names on a
// network (compose's `db`, `redis`) need the network backend's DNS server: aardvark-dns with
// netavark, the dnsname plugin with CNI; without it they never resolve.
// https://github.com/containers/common/blob/main/docs/containers.conf.5.md (dns_servers)
// https://github.com/containers/aardvark-dns  https://github.com/containers/dnsname
import type { Check, CheckContext, Finding } from "../src/doctor/types.js";
import { safeLine } from "../src/text/safe-text.js";

export const RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf";
const AARDVARK = [
  "/usr/libexec/podman/aardvark-dns",
  "/usr/lib/podman/aardvark-dns",
  "/usr/local/libexec/podman/aardvark-dns",
  "/usr/local/lib/podman/aardvark-dns",
];
const DNSNAME = [
  "/usr/lib/cni/dnsname",
  "/opt/cni/bin/dnsname",
  "/usr/libexec/cni/dnsname",
  "/usr/local/lib/cni/dnsname",
];

/** The nameserver addresses of a resolv.conf text (comments and other lines skipped). */
export function nameservers(text: string): string[] {
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1] as string);
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1";
}

/** An address that can go into a TOML string as it is: IPv4 or IPv6 characters only. */
export function plainAddress(address: string): boolean {
  return /^[0-9a-fA-F:.]{2,45}$/.test(address) && /[.:]/.test(address);
}

/** The containers.conf files Podman reads for this user, in order (drop-ins sorted). */
export async function containersConfFiles(host: CheckContext["host"], rootful: boolean, home: string) {
  const bases = [
    "/usr/share/containers",
    "/etc/containers",
    ...(rootful ? [] : [`${home}/.config/containers`]),
  ];
  const out: string[] = [];
  for (const base of bases) {
    out.push(`${base}/containers.conf`);
    const names = (await host.listDir(`${base}/containers.conf.d`).catch(() => null)) ?? [];
    out.push(
      ...names
        .filter((n) => n.endsWith(".conf"))
        .sort()
        .map((n) => `${base}/containers.conf.d/${n}`),
    );
  }
  return out;
}

/** The file that last sets a non-empty dns_servers, and the list; null when none does. */
export async function pinnedDnsServers(ctx: CheckContext) {
  const { host, facts } = ctx;
  let found: { file: string; servers: string[] } | null = null;
  for (const file of await containersConfFiles(host, facts.rootful, facts.targetUser.home)) {
    const text = await host.readFile(file).catch(() => null);
    const m = text === null ? null : /^\s*dns_servers\s*=\s*\[([^\]]*)\]/m.exec(text);
    if (!m) continue;
    const servers = [...(m[1] as string).matchAll(/["']([^"']+)["']/g)].map((s) => safeLine(s[1] as string));
    found = servers.length > 0 ? { file, servers } : null;
  }
  return found;
}

export const check: Check = {
  id: "container-dns",
  title: "DNS in containers",
  docs: "docs/checks/container-dns.md",
  applies: () => true,
  async run(ctx) {
    return [...(await judgeResolvConf(ctx)), ...(await judgeBackend(ctx))];
  },
};

async function judgeResolvConf(ctx: CheckContext): Promise<Finding[]> {
  const { host } = ctx;
  const pinned = await pinnedDnsServers(ctx);
  if (pinned) {
    return [
      {
        code: "dns.servers-pinned",
        status: "pass",
        message: `Containers use the DNS servers ${safeLine(pinned.file)} sets: ${pinned.servers.join(", ")}.`,
        evidence: { file: safeLine(pinned.file), servers: pinned.servers },
      },
    ];
  }
  // A folder or FIFO there is as useless to Podman as no file.
  const text = await host.readFile("/etc/resolv.conf").catch(() => null);
  const servers = text === null ? [] : nameservers(text).map(safeLine);
  if (servers.length === 0) {
    return [
      {
        code: "dns.no-nameservers",
        status: "fail",
        message: `/etc/resolv.conf ${text === null ? "is missing or unreadable" : "lists no nameserver"}: containers get Podman's fallback public servers (8.8.8.8, 8.8.4.4), which fail where outside DNS is blocked and know no internal names.`,
        evidence: { path: "/etc/resolv.conf", readable: text !== null, nameservers: [] },
        remedy:
          'Repair the host\'s resolv.conf, or set the servers containers should use: dns_servers = ["10.0.0.53"] under [containers] in a containers.conf drop-in.',
      },
    ];
  }
  const outside = servers.filter((s) => !isLoopback(s));
  if (outside.length > 0) {
    return [
      {
        code: "dns.host-servers-ok",
        status: "pass",
        message: `Containers inherit the host's nameservers ${outside.join(", ")}.`,
        evidence: { path: "/etc/resolv.conf", nameservers: servers },
      },
    ];
  }
  const upstream = nameservers((await host.readFile(RESOLVED_UPSTREAM).catch(() => null)) ?? "")
    .filter((s) => !isLoopback(s) && plainAddress(s))
    .map(safeLine);
  const dropIn = ctx.facts.rootful
    ? "/etc/containers/containers.conf.d/"
    : `${safeLine(ctx.facts.targetUser.home)}/.config/containers/containers.conf.d/`;
  if (servers.every((s) => s === "127.0.0.53") && upstream.length > 0) {
    return [
      {
        code: "dns.resolved-stub",
        status: "warn",
        message: `/etc/resolv.conf lists only systemd-resolved's stub 127.0.0.53, which containers cannot reach: Podman must find ${upstream.join(", ")} in ${RESOLVED_UPSTREAM} at every container start, and containers miss resolved's per-link (VPN) routing.`,
        evidence: { path: "/etc/resolv.conf", nameservers: servers, upstream },
        remedy: `Pin the upstream servers: dns_servers = [${upstream.map((s) => `"${s}"`).join(", ")}] under [containers] in ${dropIn}50-podlift-dns.conf.`,
        fixes: ["container-dns-servers"],
      },
    ];
  }
  return [
    {
      code: "dns.loopback-only",
      status: "warn",
      message: `/etc/resolv.conf lists only loopback nameservers (${servers.join(", ")}) and ${RESOLVED_UPSTREAM} names no other: containers cannot reach them and fall back to public servers (pasta in Podman 5 forwards them; slirp4netns and bridges do not).`,
      evidence: { path: "/etc/resolv.conf", nameservers: servers, upstream: [] },
      remedy: `Set the servers your local resolver forwards to: dns_servers = ["…"] under [containers] in ${dropIn}50-podlift-dns.conf.`,
    },
  ];
}

async function judgeBackend({ host, facts }: CheckContext): Promise<Finding[]> {
  const info = await facts.podman.info(facts.targetUser);
  if (!info.ok) {
    return [
      {
        code: "dns.backend-unknown",
        status: "warn",
        message: `\`podman info\` did not work (${info.reason}): which network backend resolves container names is unknown.`,
        evidence: { reason: info.reason },
        remedy: "See the podman-version check.",
      },
    ];
  }
  const backend = String(info.info.host?.networkBackend ?? "cni");
  const netavark = backend === "netavark";
  const candidates = netavark ? AARDVARK : DNSNAME;
  let found: string | null = null;
  for (const p of candidates) {
    if ((await host.stat(p))?.type === "file") {
      found = p;
      break;
    }
  }
  const tool = netavark ? "aardvark-dns" : "dnsname CNI plugin";
  if (found) {
    return [
      {
        code: "dns.names-ok",
        status: "pass",
        message: `The ${safeLine(backend)} backend resolves container names with the ${tool} (${found}).`,
        evidence: { backend: safeLine(backend), path: found },
      },
    ];
  }
  return [
    {
      code: netavark ? "dns.no-aardvark" : "dns.no-dnsname",
      status: "fail",
      message: `The ${safeLine(backend)} network backend has no ${tool}: containers on one network cannot find each other by name (compose's service names do not resolve).`,
      evidence: { backend: safeLine(backend), looked: candidates },
      remedy: netavark
        ? "Install aardvark-dns (it comes with netavark: apt-get install aardvark-dns, dnf install aardvark-dns)."
        : 'Install the dnsname plugin (golang-github-containernetworking-plugin-dnsname, podman-plugins), or move to netavark with aardvark-dns (Podman 4+: podman system reset, network_backend = "netavark").',
    },
  ];
}
