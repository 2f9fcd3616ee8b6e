// A Docker network as `podman network create` arguments, and what Podman cannot carry over.
// Docker's options: https://docs.docker.com/engine/network/drivers/bridge/#options
// Podman's (4.3: bridge mtu, vlan, isolate; macvlan/ipvlan mode, mtu, parent):
// https://docs.podman.io/en/v4.3/markdown/podman-network-create.1.html
import type { DockerNetwork } from "./docker.js";

/** Never copied: Docker's own networks, which Podman has its own versions of (or none). */
export const BUILTIN_NETWORKS = ["bridge", "host", "none"];

export interface NetworkFinding {
  option: string;
  value: string;
  message: string;
}

export interface SubnetSpec {
  subnet: string;
  gateway?: string;
  /** Docker's IPRange (a CIDR), given to --ip-range. */
  ipRange?: string;
  /** The IP range as Podman stores it: first and last address containers get. */
  range?: { start: string; end: string };
}

/** The parts of a network podlift creates and compares. */
export interface NetworkSpec {
  driver: string;
  subnets: SubnetSpec[];
  internal: boolean;
  ipv6: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** macvlan/ipvlan: the host interface (Podman keeps it as network_interface). */
  parent?: string;
}

export interface NetworkPlan {
  name: string;
  /** Why it cannot be created in Podman; null when it can. */
  problem: string | null;
  /** Arguments after `podman`: network create ... */
  args: string[];
  spec: NetworkSpec;
  findings: NetworkFinding[];
}

export type Backend = "netavark" | "cni";

// Docker option -> Podman option, per driver. Values Docker sets by default need no finding.
const MTU = "com.docker.network.driver.mtu";
const MAPPED: Record<string, Record<string, string>> = {
  bridge: { [MTU]: "mtu" },
  macvlan: { [MTU]: "mtu", macvlan_mode: "mode" },
  ipvlan: { [MTU]: "mtu", ipvlan_mode: "mode" },
};
const DOCKER_DEFAULTS: Record<string, string> = {
  "com.docker.network.bridge.enable_icc": "true",
  "com.docker.network.bridge.enable_ip_masquerade": "true",
  "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
};
const WHY: Record<string, string> = {
  "com.docker.network.bridge.name":
    "Podman names the bridge itself (podmanN); Podman 4.3 cannot choose the interface name",
  "com.docker.network.bridge.enable_icc":
    "Podman has no switch to cut traffic between containers of one network (its isolate option separates networks from each other)",
  "com.docker.network.bridge.enable_ip_masquerade": "Podman always masquerades outgoing traffic of a bridge",
  "com.docker.network.bridge.host_binding_ipv4":
    "Podman has no per-network default host address for published ports: publish with -p ADDRESS:PORT:PORT",
  "com.docker.network.container_iface_prefix": "Podman names container interfaces eth0, eth1… itself",
  ipvlan_flag: "Podman has no ipvlan flag option",
};

export function dockerOptionFinding(option: string, value: string): NetworkFinding {
  return {
    option,
    value,
    message: `not carried over: ${WHY[option] ?? "Podman has no such network option"}`,
  };
}

export function planNetwork(net: DockerNetwork, backend: Backend, podmanVersion: string): NetworkPlan {
  const findings: NetworkFinding[] = [];
  const spec: NetworkSpec = {
    driver: net.Driver,
    subnets: [],
    internal: net.Internal === true,
    ipv6: net.EnableIPv6 === true,
    labels: { ...(net.Labels ?? {}) },
    options: {},
  };
  const plan = (problem: string | null): NetworkPlan => ({
    name: net.Name,
    problem,
    args: problem ? [] : createArgs(net.Name, spec),
    spec,
    findings,
  });
  if (BUILTIN_NETWORKS.includes(net.Name)) return plan("Docker's built-in network: never copied");
  if (net.Scope === "swarm" || net.Ingress)
    return plan("a swarm network: Podman has no swarm, so nothing to copy it into");
  if (net.ConfigOnly || net.ConfigFrom?.Network)
    return plan("a config-only network (or one built from one): Podman has no such thing");
  if (!(net.Driver in MAPPED))
    return plan(`driver ${net.Driver} has no Podman equivalent (Podman has bridge, macvlan and ipvlan)`);
  if (net.Driver === "ipvlan" && backend === "netavark" && olderThan(podmanVersion, 4, 4))
    return plan(
      `Podman ${podmanVersion} with netavark has no ipvlan driver ("unsupported driver ipvlan"); CNI (network_backend = "cni") has one`,
    );
  for (const [option, value] of Object.entries(net.Options ?? {})) {
    const podman = MAPPED[net.Driver]?.[option];
    if (podman) spec.options[podman] = value;
    else if (option === "parent" && net.Driver !== "bridge") spec.parent = value;
    else if (DOCKER_DEFAULTS[option] !== value) findings.push(dockerOptionFinding(option, value));
  }
  if (net.IPAM?.Driver && net.IPAM.Driver !== "default")
    findings.push({
      option: "IPAM.Driver",
      value: net.IPAM.Driver,
      message: "not carried over: Podman assigns addresses with its own host-local IPAM",
    });
  for (const [option, value] of Object.entries(net.IPAM?.Options ?? {}))
    findings.push({
      option: `IPAM.Options.${option}`,
      value,
      message: "not carried over: Podman's IPAM takes no options",
    });
  if (net.Attachable)
    findings.push({
      option: "Attachable",
      value: "true",
      message: "not carried over: a swarm notion; any Podman container may join a Podman network",
    });
  for (const config of net.IPAM?.Config ?? []) {
    if (!config.Subnet) continue;
    const sub: SubnetSpec = { subnet: config.Subnet };
    if (config.Gateway) sub.gateway = config.Gateway;
    if (config.IPRange) {
      const range = cidrRange(config.IPRange);
      if (range) {
        sub.ipRange = config.IPRange;
        sub.range = range;
      }
    }
    spec.subnets.push(sub);
    for (const [host, address] of Object.entries(config.AuxiliaryAddresses ?? {}))
      findings.push({
        option: `IPAM.Config.AuxiliaryAddresses.${host}`,
        value: address,
        message: "not carried over: Podman cannot reserve addresses in a subnet",
      });
  }
  if (spec.ipv6 && !spec.subnets.some((s) => s.subnet.includes(":")))
    findings.push({
      option: "EnableIPv6",
      value: "true",
      message: "Docker had no IPv6 subnet configured here: Podman picks one of its own",
    });
  // Podman pairs --gateway and --ip-range with --subnet by position: subnets with both first,
  // then with a gateway, then neither. A range without a gateway cannot be written after one without.
  spec.subnets.sort((a, b) => rank(a) - rank(b));
  const gapped = spec.subnets.some((s, i) => {
    const before = spec.subnets.slice(0, i);
    return (s.gateway && before.some((p) => !p.gateway)) || (s.range && before.some((p) => !p.range));
  });
  if (gapped)
    return plan(
      "its subnets mix gateways and IP ranges in a way podman network create cannot express (it pairs them by position)",
    );
  return plan(null);
}

function rank(s: SubnetSpec): number {
  return (s.range ? 0 : 2) + (s.gateway ? 0 : 1);
}

function olderThan(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map((n) => Number.parseInt(n, 10));
  return a < major || (a === major && b < minor);
}

/** `network create` arguments, an argument array: names and values are data. */
export function createArgs(name: string, spec: NetworkSpec): string[] {
  const args = ["network", "create", "--driver", spec.driver];
  for (const s of spec.subnets) args.push("--subnet", s.subnet);
  for (const s of spec.subnets) if (s.gateway) args.push("--gateway", s.gateway);
  for (const s of spec.subnets) if (s.ipRange) args.push("--ip-range", s.ipRange);
  if (spec.internal) args.push("--internal");
  if (spec.ipv6) args.push("--ipv6");
  for (const [k, v] of Object.entries(spec.labels).sort()) args.push("--label", `${k}=${v}`);
  if (spec.parent) args.push("--opt", `parent=${spec.parent}`);
  for (const [k, v] of Object.entries(spec.options).sort()) args.push("--opt", `${k}=${v}`);
  args.push("--", name);
  return args;
}

/** A CIDR as Podman stores an --ip-range: from the address after the network's to the last one. */
export function cidrRange(cidr: string): { start: string; end: string } | null {
  const [address, bitsText] = cidr.split("/");
  const v6 = address?.includes(":") ?? false;
  const value = address ? (v6 ? parseV6(address) : parseV4(address)) : null;
  const width = v6 ? 128 : 32;
  const bits = Number(bitsText);
  if (value === null || !Number.isInteger(bits) || bits < 0 || bits > width) return null;
  const hostBits = BigInt(width - bits);
  const network = (value >> hostBits) << hostBits;
  const last = network + (1n << hostBits) - 1n;
  const fmt = v6 ? formatV6 : formatV4;
  return { start: fmt(hostBits === 0n ? network : network + 1n), end: fmt(last) };
}

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => (n << 8n) + BigInt(p), 0n);
}

function formatV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 255n).toString()).join(".");
}

function parseV6(text: string): bigint | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array(Math.max(fill, 0)).fill("0"), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return groups.reduce((n, g) => (n << 16n) + BigInt(Number.parseInt(g, 16)), 0n);
}

function formatV6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Longest run of zero groups becomes "::", as Go's net.IP prints it.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** `podman network inspect` output (Podman 4's own format, netavark or CNI) as a NetworkSpec. */
export function specOfPodman(inspect: {
  driver: string;
  network_interface?: string;
  subnets?: { subnet: string; gateway?: string; lease_range?: { start_ip: string; end_ip: string } }[] | null;
  internal?: boolean;
  ipv6_enabled?: boolean;
  labels?: Record<string, string> | null;
  options?: Record<string, string> | null;
}): NetworkSpec {
  const spec: NetworkSpec = {
    driver: inspect.driver,
    subnets: (inspect.subnets ?? []).map((s) => ({
      subnet: s.subnet,
      ...(s.gateway ? { gateway: s.gateway } : {}),
      ...(s.lease_range ? { range: { start: s.lease_range.start_ip, end: s.lease_range.end_ip } } : {}),
    })),
    internal: inspect.internal === true,
    ipv6: inspect.ipv6_enabled === true,
    labels: { ...(inspect.labels ?? {}) },
    options: { ...(inspect.options ?? {}) },
  };
  if (inspect.driver !== "bridge" && inspect.network_interface) spec.parent = inspect.network_interface;
  return spec;
}

/**
 * How an existing Podman network differs from what podlift would create; empty when equal.
 * Only what Docker pinned is compared: a gateway or range Docker left to its IPAM may differ.
 */
export function networkDifferences(wanted: NetworkSpec, have: NetworkSpec): string[] {
  const out: string[] = [];
  if (wanted.driver !== have.driver) out.push(`driver ${have.driver}, Docker's is ${wanted.driver}`);
  const key = (s: SubnetSpec) => canonicalCidr(s.subnet);
  const haveBySubnet = new Map(have.subnets.map((s) => [key(s), s]));
  for (const s of wanted.subnets) {
    const h = haveBySubnet.get(key(s));
    if (!h) {
      out.push(`no subnet ${s.subnet}`);
      continue;
    }
    if (s.gateway && h.gateway !== s.gateway)
      out.push(`gateway ${h.gateway ?? "none"} in ${s.subnet}, Docker's is ${s.gateway}`);
    if (s.range && (h.range?.start !== s.range.start || h.range?.end !== s.range.end))
      out.push(
        `IP range ${h.range ? `${h.range.start}-${h.range.end}` : "none"} in ${s.subnet}, Docker's is ${s.range.start}-${s.range.end}`,
      );
  }
  if (wanted.subnets.length > 0)
    for (const h of have.subnets)
      if (
        !wanted.subnets.some((s) => key(s) === key(h)) &&
        !(h.subnet.includes(":") && wanted.ipv6 && !wanted.subnets.some((s) => s.subnet.includes(":")))
      )
        out.push(`an extra subnet ${h.subnet}`);
  if (wanted.internal !== have.internal)
    out.push(`internal ${have.internal}, Docker's is ${wanted.internal}`);
  if (wanted.ipv6 !== have.ipv6) out.push(`IPv6 ${have.ipv6}, Docker's is ${wanted.ipv6}`);
  const labels = new Set([...Object.keys(wanted.labels), ...Object.keys(have.labels)]);
  for (const k of [...labels].sort())
    if (wanted.labels[k] !== have.labels[k])
      out.push(`label ${k}=${have.labels[k] ?? "(none)"}, Docker's is ${wanted.labels[k] ?? "(none)"}`);
  for (const [k, v] of Object.entries(wanted.options).sort())
    if (have.options[k] !== v) out.push(`option ${k}=${have.options[k] ?? "(none)"}, Docker's is ${v}`);
  if (wanted.parent && wanted.parent !== have.parent)
    out.push(`parent ${have.parent ?? "none"}, Docker's is ${wanted.parent}`);
  return out;
}

/** True when the address lies inside the CIDR (same family). */
export function inCidr(address: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const v6 = address.includes(":");
  if (!net || v6 !== net.includes(":")) return false;
  const a = v6 ? parseV6(address) : parseV4(address);
  const n = v6 ? parseV6(net) : parseV4(net);
  const host = BigInt((v6 ? 128 : 32) - Number(bitsText));
  return a !== null && n !== null && a >> host === n >> host;
}

/**
 * Host interfaces holding an address in one of the subnets: Podman refuses to create a network
 * on a subnet the host uses ("already used on the host"), and Docker's own bridge for the same
 * network is such an interface while Docker keeps it.
 */
export function subnetHolders(spec: NetworkSpec, addresses: { ifname: string; address: string }[]): string[] {
  return addresses
    .filter((a) => spec.subnets.some((s) => inCidr(a.address, s.subnet)))
    .map((a) => `${a.ifname} (${a.address})`);
}

function canonicalCidr(cidr: string): string {
  const range = cidrRange(cidr);
  return range ? `${range.start}/${cidr.split("/")[1]}` : cidr;
}
