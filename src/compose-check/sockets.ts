// Where Podman's API socket is for the user who runs a project, and the one line edit that points
// a short-syntax bind of another socket at it (engine-socket, rootful-socket share it).
import type { EditEnv } from "./types.js";

/** The Podman socket a project should mount: the user's own when rootless, root's otherwise. */
export function podmanSocketFor(host: { rootless: boolean; uid: number }): string {
  return host.rootless ? `/run/user/${host.uid}/podman/podman.sock` : "/run/podman/podman.sock";
}

/**
 * Rewrites `- /old.sock:/target[:opts]` (quotes and a trailing comment kept) to mount
 * `env.socket`, adding the SELinux label when one is wanted and none is there; null when the
 * line is not such a mount of a source `source` matches.
 */
export function swapSocketSource(line: string, source: RegExp, { socket, label }: EditEnv): string[] | null {
  const m = new RegExp(
    String.raw`^(\s*-\s*["']?)(${source.source})(:[^:"'\s]+)(:[\w,]+)?(["']?\s*(#.*)?)$`,
  ).exec(line);
  if (!m) return null;
  const given = m[4] ?? "";
  const opts = given
    ? label && !/[zZ]/.test(given)
      ? `${given},${label}`
      : given
    : label
      ? `:${label}`
      : "";
  return [`${m[1]}${socket}${m[3]}${opts}${m[5]}`];
}
