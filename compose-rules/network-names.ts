// Compose names a network it creates <project>_<network>, and the project name comes from the
// folder, -p or name:, which tools derive differently; a value that spells the generated name out
// (a JupyterHub spawner's DOCKER_NETWORK_NAME) breaks when it changes. A value written for another
// project name (compose v1 in folder jupyterhub, podman-compose in folder gopyter) names a network
// nobody creates: the spawner fails with "unable to find network".
// https://github.com/compose-spec/compose-spec/blob/main/06-networks.md (name)
import { environmentEntries } from "../src/compose-check/environment.js";
import type { ComposeFinding, ComposeRule, LineEdit, Service } from "../src/compose-check/types.js";

/** A value that can be a network's name (and is not a mode such as host or none). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const BUILTIN = new Set(["host", "bridge", "none", "podman", "default", "true", "false"]);

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `  net:`, `  net: {}` or `  net: null` (a comment may follow) becomes a block with `name:`. */
const pin: LineEdit = {
  risk: "safe",
  line: (f) => (f.data?.line ? Number(f.data.line) : undefined),
  edit(line, _env, f) {
    const { network, name, indent } = f.data ?? {};
    if (network === undefined || name === undefined || indent === undefined) return null;
    const m = new RegExp(`^(\\s*)(["']?)${literal(network)}\\2:\\s*(\\{\\s*\\}|null|~)?\\s*(#.*)?$`).exec(
      line,
    );
    if (!m) return null;
    const key = `${m[1]}${m[2]}${network}${m[2]}:${m[4] ? ` ${m[4]}` : ""}`;
    return [m[3] ? key : line, `${indent}name: ${name}`];
  },
};

export const rule: ComposeRule = {
  id: "network-names",
  title: "Environment values that spell out a generated network name, or name a network nobody creates",
  docs: "docs/compose-rules/network-names.md",
  codes: {
    "compose.network-name-assumption": {
      status: ["warn"],
      summary: "an environment value spells out a generated network name, `<project>_<network>`",
    },
    "compose.network-name-missing": {
      status: ["warn", "fail"],
      summary:
        "an environment value names a network neither the project nor Podman has (fail: `<other project>_<network>`)",
    },
  },
  facts: ["podmanNetworks"],
  requires: ["services"],
  edits: { "compose.network-name-assumption": pin, "compose.network-name-missing": pin },
  run({ project: p, host, services, at }) {
    const out: ComposeFinding[] = [];
    const raw = p.data.networks;
    const declared = (raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {}) as Record<
      string,
      Service | null
    >;
    const spec = (n: string) => {
      const s = declared[n];
      return s && typeof s === "object" && !Array.isArray(s) ? s : {};
    };
    // Networks the project creates without a fixed name: their names are generated. Longest
    // first, so that hub_spawn_net matches spawn_net before net.
    const generated = [
      ...new Set(["default", ...Object.keys(declared)].filter((k) => !spec(k).external && !spec(k).name)),
    ].sort((a, b) => b.length - a.length);
    // The names the project's networks really have.
    const named = new Set(generated.map((n) => `${p.project}_${n}`));
    for (const n of Object.keys(declared)) {
      const s = spec(n);
      if (typeof s.name === "string") named.add(s.name);
      else if (s.external) named.add(n);
    }
    // One name per network: a second value for the same network gets no edit.
    const pinned = new Map<string, string>();
    const pinData = (net: string, value: string) => {
      const keyAt = p.positions.get(`key:networks.${net}`);
      if (!keyAt || !NAME.test(value) || (pinned.get(net) ?? value) !== value) return undefined;
      pinned.set(net, value);
      const children = Object.keys(spec(net));
      const childAt = children.length ? p.positions.get(`key:networks.${net}.${children[0]}`) : undefined;
      const indent = " ".repeat(childAt ? childAt.col - 1 : keyAt.col + 1);
      // The key may sit in another of the project's files (-f): the edit goes there.
      return {
        network: net,
        name: value,
        line: String(keyAt.line),
        indent,
        file: keyAt.file ?? p.file,
      };
    };
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      for (const [key, value, where] of environmentEntries(svc, `services.${name}`)) {
        if (value === undefined || !NAME.test(value)) continue;
        const looksLikeNetwork = /network/i.test(key);
        const exact = generated.find((n) => value === `${p.project}_${n}`);
        if (exact !== undefined) {
          out.push({
            code: "compose.network-name-assumption",
            status: "warn",
            message: `${key}=${value} spells out the generated network name <project>_${exact}, which depends on how each compose tool derives the project name (folder name, -p, name:)`,
            remedy: `Give the network a fixed name (networks: ${exact}: name: ${value}) so every tool creates exactly that network.`,
            at: at(where),
            service: name,
            data: pinData(exact, value),
          });
          continue;
        }
        if (named.has(value) || host.podmanNetworks?.has(value)) continue;
        // X_<network>, X not this project: the name compose gave it under another project name.
        const other = generated.find(
          (n) =>
            (n !== "default" || looksLikeNetwork) && value.endsWith(`_${n}`) && value.length > n.length + 1,
        );
        if (other !== undefined) {
          const prefix = value.slice(0, -other.length - 1);
          out.push({
            code: "compose.network-name-missing",
            // A key that names a network says this is one; any other (DB_NAME=app_backend) may
            // only look like one.
            status: /net/i.test(key) ? "fail" : "warn",
            message: `${key}=${value} names network ${other} as project ${prefix} would call it, but this project is ${p.project}: compose creates ${p.project}_${other}, ${host.podmanNetworks ? "Podman has no network" : "and no network is"} named ${value} ("unable to find network")`,
            remedy: `Pin the network's name (networks: ${other}: name: ${value}), or write ${key}: ${p.project}_${other}.`,
            at: at(where),
            service: name,
            data: pinData(other, value),
          });
          continue;
        }
        // Any other network-ish value: only when Podman's networks are known.
        if (!looksLikeNetwork || BUILTIN.has(value) || !host.podmanNetworks) continue;
        out.push({
          code: "compose.network-name-missing",
          status: "warn",
          message: `${key}=${value} looks like a network name, but neither this project nor Podman has a network named ${value}`,
          remedy: `Create it (podman network create ${value}; podlift migrate networks when Docker has it), declare it in networks: with name: ${value}, or correct the value.`,
          at: at(where),
          service: name,
        });
      }
    }
    return out;
  },
};
