// How a Docker image's names read in Podman, and what to do when Podman holds one already.
// Docker lists RepoTags in their familiar form: "app:1" means docker.io/library/app:1. Podman
// names an unqualified image it did not pull localhost/app:1 (podman load, podman tag, podman
// build all do), and finds it by the short name "app:1" just the same. A name with a registry
// keeps it. https://github.com/distribution/reference/blob/main/normalize.go
import { localOnlyImages } from "../compose-check/facts.js";
import type { DockerImage } from "./docker.js";

export interface TargetName {
  /** The name as Docker lists it (RepoTags). */
  docker: string;
  /** The name the image gets in Podman. */
  podman: string;
  /** Set when the two differ in more than spelling out docker.io. */
  note?: string;
}

export type OnConflict = "fail" | "skip" | "replace";

/** The reference's repository and tag ("latest" when none is written). */
export function splitTag(reference: string): { repo: string; tag: string } {
  const slash = reference.lastIndexOf("/");
  const colon = reference.lastIndexOf(":");
  return colon > slash
    ? { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) }
    : { repo: reference, tag: "latest" };
}

/** True when the first part of the name is a registry: has a dot or a port, or is localhost. */
export function hasRegistry(repo: string): boolean {
  const slash = repo.indexOf("/");
  if (slash < 0) return false;
  const first = repo.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost";
}

/**
 * One Docker name in Podman. `pulled`: Docker holds a registry digest for the repository, so the
 * image came from docker.io and keeps that name (podman pull would give it the same); an image
 * built or tagged here gets the localhost/ Podman gives it anyway, and the result says so.
 */
export function podmanName(repoTag: string, pulled: boolean): TargetName {
  const { repo, tag } = splitTag(repoTag);
  if (hasRegistry(repo)) return { docker: repoTag, podman: `${repo}:${tag}` };
  if (pulled) {
    return { docker: repoTag, podman: `docker.io/${repo.includes("/") ? "" : "library/"}${repo}:${tag}` };
  }
  return {
    docker: repoTag,
    podman: `localhost/${repo}:${tag}`,
    note: "Podman names an unqualified image it did not pull localhost/NAME; the short name still finds it",
  };
}

/** Every name an image has in Docker, as Podman names; none for an untagged image. */
export function targetNames(image: DockerImage): TargetName[] {
  const local = localOnlyImages([image]);
  return (image.RepoTags ?? [])
    .filter((t) => t !== "<none>:<none>")
    .map((t) => podmanName(t, !local.has(t)))
    .sort((a, b) => a.podman.localeCompare(b.podman));
}

/**
 * The name to export an image under, so that `podman load` names it already and one `podman
 * tag` call fewer is needed: the first whose Podman name is what load gives it (load keeps a
 * registry and puts localhost/ before the rest; a pulled docker.io name would come out wrong).
 * One name only: Podman 4.3 copies an archive entry once per name it carries.
 */
export function loadName(names: TargetName[]): TargetName | null {
  return names.find((n) => !n.podman.startsWith("docker.io/")) ?? null;
}

/** Built or tagged here: some name of it has no registry digest (what --only-local picks). */
export function isLocalImage(image: DockerImage): boolean {
  return localOnlyImages([image]).size > 0;
}

/** What Podman holds now: each name's image id, and every id. */
export interface PodmanImages {
  byName: Map<string, string>;
  ids: Set<string>;
}

/** `podman images --all --format json` as a PodmanImages. */
export function parsePodmanImages(json: string): PodmanImages {
  const list = (JSON.parse(json || "[]") ?? []) as { Id: string; Names?: string[] | null }[];
  const byName = new Map<string, string>();
  const ids = new Set<string>();
  for (const image of list) {
    const id = fullId(image.Id);
    ids.add(id);
    for (const name of image.Names ?? []) byName.set(name, id);
  }
  return { byName, ids };
}

export function fullId(id: string): string {
  return id.startsWith("sha256:") ? id : `sha256:${id}`;
}

export type ImageAction =
  /** The image is not in Podman: stream it in, then tag it. */
  | { kind: "load" }
  /** The image is in Podman already, missing some names: tag only. */
  | { kind: "tag"; missing: TargetName[] }
  /** Same id under every name: nothing to do. */
  | { kind: "already-migrated" }
  /** A name points at another image in Podman. */
  | { kind: "conflict"; conflicts: { name: string; podmanId: string }[] };

/** What one image needs, given what Podman holds (the --on-conflict choice is applied later). */
export function imageAction(id: string, names: TargetName[], podman: PodmanImages): ImageAction {
  const conflicts = names
    .map((n) => ({ name: n.podman, podmanId: podman.byName.get(n.podman) }))
    .filter((c): c is { name: string; podmanId: string } => c.podmanId !== undefined && c.podmanId !== id);
  if (conflicts.length > 0) return { kind: "conflict", conflicts };
  if (!podman.ids.has(id)) return { kind: "load" };
  const missing = names.filter((n) => podman.byName.get(n.podman) !== id);
  return missing.length === 0 ? { kind: "already-migrated" } : { kind: "tag", missing };
}

/** The --on-conflict decision for an image whose names point elsewhere in Podman. */
export function conflictDecision(
  conflicts: { name: string; podmanId: string }[],
  onConflict: OnConflict,
  idInPodman: boolean,
): { proceed: boolean; status: "failed" | "skipped" | null; message: string } {
  const list = conflicts.map((c) => `${c.name} is ${c.podmanId.slice(7, 19)} in Podman`).join(", ");
  if (onConflict === "fail")
    return { proceed: false, status: "failed", message: `${list}; choose --on-conflict skip or replace` };
  if (onConflict === "skip") return { proceed: false, status: "skipped", message: list };
  return {
    proceed: true,
    status: null,
    message: `${list}: the name${conflicts.length > 1 ? "s" : ""} now point${conflicts.length > 1 ? "" : "s"} at the migrated image${idInPodman ? "" : " (loaded first)"}; the old image keeps its other names, or stays untagged (podman image prune removes it)`,
  };
}

/** Docker references podlift will ask about: registry, path, tag and digest characters only. */
export function validReference(reference: string): boolean {
  return (
    /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/.test(reference) &&
    reference.length <= 512 &&
    !reference.split("/").some((part) => part === "." || part === ".." || part === "")
  );
}
