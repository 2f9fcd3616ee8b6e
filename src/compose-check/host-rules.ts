// The rules that look past the compose file: bind-mounted folders the rootless user cannot
// read, and named volumes whose data is still in Docker.
import { stat } from "node:fs/promises";
import path from "node:path";
import { bindMount } from "../compose.js";
import type { UserInfo } from "../host/types.js";
import type { Loaded } from "./load.js";
import type { ComposeFinding } from "./rules.js";

type Service = Record<string, unknown>;

/** Bind sources (relative to the compose file) the user can neither read nor enter. */
export async function unreadableBinds(
  p: Loaded,
  user: UserInfo,
  groups: number[],
): Promise<ComposeFinding[]> {
  const out: ComposeFinding[] = [];
  const dir = path.dirname(p.file);
  for (const [name, svc] of Object.entries((p.data.services ?? {}) as Record<string, Service>)) {
    for (const [i, v] of ((svc?.volumes as unknown[]) ?? []).entries()) {
      const source = bindMount(v)?.source ?? "";
      if (!/^[./~]/.test(source)) continue; // named volumes, and sources left as a variable
      const full = path.resolve(dir, source.replace(/^~(?=\/)/, user.home));
      const s = await stat(full).catch(() => null);
      if (s === null) continue; // compose creates missing bind sources
      const bits =
        s.uid === user.uid ? (s.mode >> 6) & 7 : groups.includes(s.gid) ? (s.mode >> 3) & 7 : s.mode & 7;
      const needed = s.isDirectory() ? 5 : 4;
      if ((bits & needed) !== needed) {
        out.push({
          code: "compose.bind-unreadable",
          status: "fail",
          service: name,
          message: `bind mount ${source} (${full}) is mode ${(s.mode & 0o777).toString(8)}, owner ${s.uid}: ${user.name} cannot ${s.isDirectory() ? "enter" : "read"} it, so neither can the rootless container`,
          remedy: `Give ${user.name} access (chown/chmod, or an ACL: setfacl -m u:${user.name}:${s.isDirectory() ? "rx" : "r"} ${full}).`,
          at: p.positions.get(`services.${name}.volumes.${i}`) ?? { line: 1, col: 1 },
        });
      }
    }
  }
  return out;
}

/** Named volumes of the project that Docker holds and Podman does not have yet. */
export function volumesToMigrate(p: Loaded, inDocker: Set<string>, inPodman: Set<string>): ComposeFinding[] {
  const out: ComposeFinding[] = [];
  for (const [key, spec] of Object.entries((p.data.volumes ?? {}) as Record<string, Service | null>)) {
    const external = spec?.external;
    const name = typeof spec?.name === "string" ? spec.name : external ? key : `${p.project}_${key}`;
    if (inDocker.has(name) && !inPodman.has(name)) {
      out.push({
        code: "compose.volume-not-migrated",
        status: "warn",
        service: null,
        message: `volume ${key} holds data in Docker (${name}) that Podman does not have yet: the project would start empty`,
        remedy: `podlift migrate volumes --compose ${path.basename(p.file)}`,
        at: p.positions.get(`volumes.${key}`) ?? { line: 1, col: 1 },
      });
    }
  }
  return out;
}

/** An image as the Docker engine lists it (GET /images/json). */
export interface DockerImageSummary {
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
}

/**
 * The name:tag of every image Docker holds only locally: a tag whose repository has no registry
 * digest (built here, or tagged here from another image, and never pushed or pulled by that name).
 */
export function localOnlyImages(images: DockerImageSummary[]): Set<string> {
  const out = new Set<string>();
  for (const image of images) {
    const digests = image.RepoDigests ?? [];
    for (const tag of image.RepoTags ?? []) {
      if (tag === "<none>:<none>") continue;
      const repo = tag.slice(
        0,
        tag.lastIndexOf(":") > tag.lastIndexOf("/") ? tag.lastIndexOf(":") : tag.length,
      );
      if (!digests.some((d) => d.startsWith(`${repo}@`))) out.add(tag);
    }
  }
  return out;
}
