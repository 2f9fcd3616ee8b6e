// The engine-side names of a project's volumes and networks, as Compose names them: `name:`
// when set, the external name for `external:` ones, else <project>_<key>. Networks also have
// the implicit `default`, which Compose creates as <project>_default for every service that
// names no network and has no network_mode.
// https://docs.docker.com/reference/compose-file/networks/
import type { Loaded } from "./project.js";

export interface Resource {
  /** The key under top-level `volumes:` / `networks:`. */
  key: string;
  /** The name the engine holds it under. */
  name: string;
  /** Declared `external`: Compose never creates it, it must exist already. */
  external: boolean;
}

type Declared = Record<string, { name?: unknown; external?: unknown } | null>;

function declared(project: Loaded, kind: "volumes" | "networks"): Declared {
  const value = project.data[kind];
  return (value && typeof value === "object" && !Array.isArray(value) ? value : {}) as Declared;
}

function named(project: Loaded, key: string, spec: Declared[string]): Resource {
  const external = Boolean(spec?.external);
  if (typeof spec?.name === "string" && spec.name) return { key, name: spec.name, external };
  if (external) {
    // The Compose file format 3.x spelling: external: { name: … }.
    const old = (spec?.external as { name?: unknown } | null)?.name;
    return { key, name: typeof old === "string" && old ? old : key, external };
  }
  return { key, name: `${project.project}_${key}`, external };
}

/** The project's top-level volumes, by engine name. */
export function projectVolumes(project: Loaded): Resource[] {
  return Object.entries(declared(project, "volumes")).map(([key, spec]) => named(project, key, spec));
}

/** The project's networks, by engine name: the declared ones, and `default` when a service uses it. */
export function projectNetworks(project: Loaded): Resource[] {
  const networks = declared(project, "networks");
  const out = Object.entries(networks).map(([key, spec]) => named(project, key, spec));
  if (!("default" in networks) && usesDefaultNetwork(project))
    out.push({ key: "default", name: `${project.project}_default`, external: false });
  return out;
}

function usesDefaultNetwork(project: Loaded): boolean {
  const services = project.data.services;
  if (!services || typeof services !== "object") return false;
  return Object.values(services as Record<string, unknown>).some((service) => {
    const s = (service ?? {}) as { network_mode?: unknown; networks?: unknown };
    if (s.network_mode !== undefined) return false;
    if (s.networks === undefined || s.networks === null) return true;
    const listed = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks as object);
    return listed.includes("default");
  });
}
