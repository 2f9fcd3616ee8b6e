// Docker completes a short image name with docker.io; Podman asks its unqualified-search
// registries, or fails without a terminal (containers-registries.conf(5), short-name-mode).
// A short name Docker holds only locally is no docker.io image at all: it must move, not be renamed.
// https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

export function isShortName(image: string): boolean {
  const first = image.split("/")[0] ?? "";
  return !(image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost"));
}

/** A short image name as Docker lists it in RepoTags: name:tag, the tag "latest" when none is given. */
export function imageTag(image: string): string {
  if (image.includes("@")) return image;
  const slash = image.lastIndexOf("/");
  return image.indexOf(":", slash + 1) >= 0 ? image : `${image}:latest`;
}

export function qualify(image: string): string {
  return image.includes("/") ? `docker.io/${image}` : `docker.io/library/${image}`;
}

export const rule: ComposeRule = {
  id: "image-names",
  title: "Short image names, and images only Docker has",
  docs: "docs/compose-rules/image-names.md",
  codes: {
    "compose.short-image": {
      status: ["warn"],
      summary: "image without a registry (not for a service with `build:`: it builds that image)",
    },
    "compose.local-image": {
      status: ["warn"],
      summary: "a short name Docker holds only locally (built or tagged here, no registry digest)",
    },
  },
  facts: ["localImages", "rootless", "userName"],
  requires: ["services"],
  edits: {
    "compose.short-image": {
      risk: "safe",
      edit(line) {
        const m = /^(\s*image:\s*)(["']?)([^"'\s#]+)(\2)(\s*(#.*)?)$/.exec(line);
        return m ? [`${m[1]}${m[2]}${qualify(m[3] as string)}${m[4]}${m[5]}`] : null;
      },
    },
  },
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    // Into the storage of the user who runs the project: rootless, each user has their own.
    const as = host.rootless ? ` --user ${host.userName}` : "";
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object") continue;
      // A service that builds its image names it: nothing is pulled, nothing to qualify.
      const image = typeof svc.image === "string" && svc.build === undefined ? svc.image : null;
      if (image === null || !isShortName(image)) continue;
      const where = at(`services.${name}.image`);
      if (host.localImages?.has(imageTag(image))) {
        out.push({
          code: "compose.local-image",
          status: "warn",
          message: `image ${image} exists only in Docker's local storage (built or tagged on this host, in no registry): Podman cannot pull it, and docker.io/library/… would name another image or none`,
          remedy: `Move it into Podman: podlift migrate images ${imageTag(image)}${as} (by hand: docker save ${imageTag(image)} | podman load, as the user who runs the project). Podman stores it as localhost/${imageTag(image)}; image: localhost/${imageTag(image)} says so explicitly. Or give the service a build: section.`,
          at: where,
          service: name,
        });
      } else {
        out.push({
          code: "compose.short-image",
          status: "warn",
          message: `image ${image} has no registry: Docker assumes docker.io, Podman asks its search registries (or fails without a terminal)`,
          remedy: `Write image: ${qualify(image)}`,
          at: where,
          service: name,
        });
      }
    }
    return out;
  },
};
