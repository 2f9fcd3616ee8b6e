// Networks, Docker to Podman: each user-defined Docker network becomes a Podman network of the
// same name, created with an argument array (network-spec.ts); an existing one is compared and
// left alone when equal. Networks carry no data, so there is nothing to stream or verify beyond
// reading the created network back.
import { UsageError } from "../errors.js";
import type { DockerClient, DockerNetwork } from "./docker.js";
import type { OnConflict } from "./image-names.js";
import {
  type Backend,
  BUILTIN_NETWORKS,
  type NetworkFinding,
  type NetworkPlan,
  networkDifferences,
  planNetwork,
  specOfPodman,
  subnetHolders,
} from "./network-spec.js";
import type { PodmanTarget } from "./podman.js";

export interface NetworkPlanItem extends NetworkPlan {
  driver: string;
  /** "exists": a Podman network of that name differs; "already-migrated": it is equal. */
  conflict: "none" | "exists" | "already-migrated";
  differences: string[];
  /** Host interfaces already using its subnets (Docker's bridge, usually): Podman refuses those. */
  subnetInUse: string[];
}

export interface NetworkResult {
  source: string;
  target: string;
  driver: string;
  status: "migrated" | "already-migrated" | "skipped" | "failed";
  /** The podman command, as an argument array. */
  argv: string[];
  /** Docker settings Podman has no place for. */
  findings: NetworkFinding[];
  /** How an existing Podman network of that name differs. */
  differences: string[];
  durationMs: number;
  error?: string;
  notes: string[];
}

export async function podmanNetworkInfo(
  podman: PodmanTarget,
): Promise<{ backend: Backend; version: string }> {
  const r = await podman.podman(["info", "--format", "{{.Host.NetworkBackend}} {{.Version.Version}}"]);
  if (r.exitCode !== 0)
    throw new Error(
      `podman info: ${(r.stderr || r.stdout).trim().split("\n").at(-1) ?? `exit ${r.exitCode}`}`,
    );
  const [backend, version] = r.stdout.trim().split(" ");
  return { backend: backend === "cni" ? "cni" : "netavark", version: version ?? "0" };
}

async function inspectPodman(podman: PodmanTarget, name: string) {
  const r = await podman.podman(["network", "inspect", "--", name]);
  if (r.exitCode !== 0) return null;
  const list = JSON.parse(r.stdout || "[]") as Parameters<typeof specOfPodman>[0][];
  return list[0] ? specOfPodman(list[0]) : null;
}

export async function planNetworks(
  docker: DockerClient,
  podman: PodmanTarget,
  names: string[],
): Promise<{ items: NetworkPlanItem[]; builtin: string[] }> {
  const all = await docker.networks();
  for (const name of names)
    if (!all.some((n) => n.Name === name))
      throw new UsageError(`no Docker network named ${JSON.stringify(name)}`);
  const chosen = (names.length > 0 ? all.filter((n) => names.includes(n.Name)) : all).sort((a, b) =>
    a.Name.localeCompare(b.Name),
  );
  const { backend, version } = await podmanNetworkInfo(podman);
  const existing = new Set(
    (await podman.podman(["network", "ls", "--format", "{{.Name}}"])).stdout.split("\n").filter(Boolean),
  );
  const items: NetworkPlanItem[] = [];
  const builtin: string[] = [];
  const addresses = await hostAddresses(podman);
  for (const net of chosen) {
    if (BUILTIN_NETWORKS.includes(net.Name) && names.length === 0) {
      builtin.push(net.Name);
      continue;
    }
    const item = await planOne(podman, net, backend, version, existing);
    if (item.conflict !== "already-migrated") item.subnetInUse = subnetHolders(item.spec, addresses);
    items.push(item);
  }
  return { items, builtin };
}

/** Every address on the host's interfaces (`ip -j addr`); none when ip is missing. */
async function hostAddresses(podman: PodmanTarget): Promise<{ ifname: string; address: string }[]> {
  const r = await podman.host.run(["ip", "-j", "addr", "show"], { timeoutMs: 10000 });
  if (r.exitCode !== 0) return [];
  try {
    const links = JSON.parse(r.stdout) as { ifname: string; addr_info?: { local?: string }[] }[];
    return links.flatMap((l) =>
      (l.addr_info ?? []).flatMap((a) => (a.local ? [{ ifname: l.ifname, address: a.local }] : [])),
    );
  } catch {
    return [];
  }
}

async function planOne(
  podman: PodmanTarget,
  net: DockerNetwork,
  backend: Backend,
  version: string,
  existing: Set<string>,
): Promise<NetworkPlanItem> {
  const plan = planNetwork(net, backend, version);
  const item: NetworkPlanItem = {
    ...plan,
    driver: net.Driver,
    conflict: "none",
    differences: [],
    subnetInUse: [],
  };
  if (plan.problem === null && existing.has(net.Name)) {
    const have = await inspectPodman(podman, net.Name);
    item.differences = have ? networkDifferences(plan.spec, have) : ["cannot read the Podman network"];
    item.conflict = item.differences.length === 0 ? "already-migrated" : "exists";
  }
  return item;
}

export async function migrateNetwork(
  podman: PodmanTarget,
  item: NetworkPlanItem,
  onConflict: OnConflict,
): Promise<NetworkResult> {
  const started = performance.now();
  const result: NetworkResult = {
    source: item.name,
    target: item.name,
    driver: item.driver,
    status: "failed",
    argv: item.args.length > 0 ? ["podman", ...item.args] : [],
    findings: item.findings,
    differences: item.differences,
    durationMs: 0,
    notes: [],
  };
  const done = (patch: Partial<NetworkResult>) =>
    Object.assign(result, patch, { durationMs: Math.round(performance.now() - started) });
  if (item.problem) return done({ error: item.problem });
  if (item.conflict === "already-migrated")
    return done({
      status: "already-migrated",
      notes: ["a Podman network of that name has the same settings"],
    });
  if (item.conflict === "exists") {
    if (onConflict === "fail")
      return done({
        error: `a Podman network named ${item.name} differs (${item.differences.join("; ")}); choose --on-conflict skip or replace`,
      });
    if (onConflict === "skip")
      return done({ status: "skipped", notes: [`a Podman network named ${item.name} exists and differs`] });
    // Podman refuses to remove a network containers use: that refusal is the result.
    const rm = await podman.podman(["network", "rm", "--", item.name]);
    if (rm.exitCode !== 0)
      return done({ error: `cannot replace it: ${(rm.stderr || rm.stdout).trim().split("\n").at(-1)}` });
    result.notes.push("the differing Podman network was removed and created again");
  }
  const r = await podman.podman(item.args);
  if (r.exitCode !== 0) {
    const said = (r.stderr || r.stdout).trim().split("\n").at(-1) ?? `exit ${r.exitCode}`;
    if (/already used on the host/.test(said) && item.subnetInUse.length > 0)
      return done({ error: `${subnetInUseMessage(item)} (podman said: ${said})` });
    return done({ error: `podman network create: ${said}` });
  }
  // Read back: what Podman made of the arguments is what counts.
  const have = await inspectPodman(podman, item.name);
  const differences = have ? networkDifferences(item.spec, have) : ["cannot read the created network"];
  if (differences.length > 0)
    return done({ differences, error: `created, but differs: ${differences.join("; ")}` });
  return done({ status: "migrated" });
}

/** Why Podman refuses the network while Docker's bridge exists, and what to do. */
export function subnetInUseMessage(item: NetworkPlanItem): string {
  return (
    `its subnet is in use on this host by ${item.subnetInUse.join(", ")} (Docker's bridge for this network, usually), ` +
    "and Podman refuses a subnet the host uses: keep the podman command podlift migrate networks --dry-run prints, " +
    "stop the Docker containers on this network and remove it (docker network rm) or stop Docker, then run that command"
  );
}
