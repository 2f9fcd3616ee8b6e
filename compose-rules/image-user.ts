// Rootless, container uid 0 is the user who runs Podman and every other container uid is a
// subordinate id of theirs. An image whose USER is not root writes into its bind mounts as such
// an id: the files belong to 100999 (say) on the host, and the user cannot edit or delete them.
// user-bind-ownership judges a `user:` the compose file sets; this rule the USER the image sets.
// keep-id:uid=,gid= (Podman 4.3 and later) maps the host user to that container user; plain
// keep-id (any version) maps them to their own uid, enough when the image's USER is that uid.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (--userns=keep-id:uid=,gid=)
// https://docs.podman.io/en/latest/markdown/podman-unshare.1.html
import semver from "semver";
import { bindMount } from "../src/compose/info.js";
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

/** keep-id:uid=,gid= came with Podman 4.3. */
const KEEP_ID_UID_FROM = "4.3.0";

/** USER as uid and gid when numeric; root is uid 0, named or not. */
export function parseUser(user: string): { root: boolean; uid?: string; gid?: string } {
  const [u = "", g] = user.trim().split(":");
  const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? String(Number(s)) : undefined);
  const uid = num(u);
  return {
    root: u === "" || u === "root" || uid === "0",
    ...(uid === undefined ? {} : { uid }),
    ...(num(g) === undefined ? {} : { gid: num(g) }),
  };
}

export const rule: ComposeRule = {
  id: "image-user",
  title: "An image that runs as a user other than root, with bind mounts under rootless",
  docs: "docs/compose-rules/image-user.md",
  codes: {
    "compose.image-user-bind-ownership": {
      status: ["warn"],
      summary:
        "the image's USER is not root, the service bind-mounts host paths and sets no `user:`/`userns_mode:` under rootless: files end up owned by a subordinate id",
    },
  },
  facts: ["rootless", "userName", "uid", "imageUsers", "podmanVersion"],
  requires: ["services"],
  edits: {
    // One keep-id line under the image: line, only when the image's USER is numeric.
    "compose.image-user-bind-ownership": {
      risk: "safe",
      edit(line, _env, f) {
        const keep = f.data?.keepId;
        const m = /^(\s*)image:\s*\S/.exec(line);
        return m && keep ? [line, `${m[1]}userns_mode: ${keep}`] : null;
      },
    },
  },
  run({ host, services, at }) {
    const out: ComposeFinding[] = [];
    if (!host.rootless || !host.imageUsers) return out;
    for (const [name, svc] of Object.entries(services)) {
      if (!svc || typeof svc !== "object" || typeof svc.image !== "string") continue;
      if (svc.user !== undefined || svc.userns_mode !== undefined) continue;
      const user = host.imageUsers.get(svc.image);
      if (user === undefined) continue;
      const parsed = parseUser(user);
      if (parsed.root) continue;
      const binds = (Array.isArray(svc.volumes) ? svc.volumes : []).flatMap((v) => {
        const mounted = bindMount(v);
        return mounted === null ? [] : [mounted.source];
      });
      if (binds.length === 0) continue;
      const { uid, gid } = parsed;
      const chown = `podman unshare chown ${uid ?? "<uid>"}${gid === undefined ? "" : `:${gid}`} <folder>`;
      const v = host.podmanVersion ? semver.coerce(host.podmanVersion) : null;
      const old = v !== null && semver.lt(v, KEEP_ID_UID_FROM);
      let keepId: string | undefined;
      let remedy: string;
      if (uid === String(host.uid) && gid === undefined) {
        keepId = "keep-id";
        remedy = `Add userns_mode: keep-id (${user} is your uid: the container user maps to ${host.userName}), or chown the folders with ${chown}.`;
      } else if (uid === undefined)
        remedy = `Add userns_mode: keep-id:uid=<uid>,gid=<gid> with ${user}'s ids in the image (podman run --rm --entrypoint id ${svc.image}; Podman 4.3 or later), or chown the folders with ${chown}.`;
      else if (old)
        remedy = `Chown the folders with ${chown}; or upgrade Podman (${host.podmanVersion} is older than 4.3, which userns_mode: keep-id:uid=${uid} needs).`;
      else {
        keepId = `keep-id:uid=${uid}${gid === undefined ? "" : `,gid=${gid}`}`;
        remedy = `Add userns_mode: ${keepId} (Podman 4.3 or later: ${user} in the container is ${host.userName} on the host), or chown the folders with ${chown}.`;
      }
      out.push({
        code: "compose.image-user-bind-ownership",
        status: "warn",
        message: `image ${svc.image} runs as USER ${user} and the service bind-mounts ${binds.join(", ")}: rootless, what it writes there belongs to a subordinate id on the host, not to ${host.userName}`,
        remedy,
        at: at(`services.${name}.image`),
        service: name,
        ...(keepId === undefined ? {} : { data: { keepId } }),
      });
    }
    return out;
  },
};
