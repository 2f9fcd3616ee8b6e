// Podman keeps the user namespace it first made (its pause process) and the storage settings its
// database was made with: after subordinate ids are added or storage.conf changes, containers fail
// with "cannot find UID/GID", a single-id mapping or a database mismatch until
// `podman system migrate` (which stops the user's running containers) makes them afresh.
// Offered when the canary failed for such a cause and the user has ranges to map.
// https://docs.podman.io/en/latest/markdown/podman-system-migrate.1.html
import { userEnv } from "../src/doctor/podman-facts.js";
import type { Finding } from "../src/doctor/types.js";
import { asUser, canaryProof } from "../src/fix/helpers.js";
import type { Change, Fix } from "../src/fix/types.js";
import type { Host, UserInfo } from "../src/host/types.js";
import { ownRanges } from "../src/parse/subid.js";

/** Canary causes that a fresh namespace and database can clear. */
export const MIGRATE_CAUSES = ["subid-missing", "subid-too-small", "idmap", "storage-mismatch"];

/** A canary finding about the target user's rootless containers. */
export function isRootless(f: Finding): boolean {
  return String(f.evidence?.mode ?? "").startsWith("rootless");
}

/** The `podman system migrate` step, as the user (subid-ranges ends with it too). */
export function migrateChange(host: Host, user: UserInfo, why: string): Change {
  return {
    kind: "command",
    argv: ["podman", "system", "migrate"],
    user: asUser(host, user),
    why,
    needsRoot: false,
  };
}

/** This fix's one change: the migrate, said as what it does to the user's containers. */
const ownMigrate = (host: Host, user: UserInfo) =>
  migrateChange(host, user, `podman system migrate as ${user.name} (stops the user's running containers)`);

const MIGRATE_NOTES = [
  "Running containers of the user stop; start them again afterwards. Images, containers and volumes stay.",
  "Nothing to undo: migrate rewrites Podman's own state only; the canary runs again to verify it.",
];

export const fix: Fix = {
  id: "podman-system-migrate",
  title: "Let Podman pick up the user's subordinate ids and storage settings",
  addresses: ["canary.stale-mapping", "canary.failed", "canary.network-failed"],
  risk: "safe",
  concerns: (f) =>
    f.code === "canary.stale-mapping" ||
    (isRootless(f) && MIGRATE_CAUSES.includes(String(f.evidence?.cause))),
  async plan({ host, facts }, findings) {
    const user = facts.targetUser;
    const hit = findings.filter((f) => fix.concerns?.(f));
    if (hit.length === 0)
      return "the rootless canary did not fail on id mappings or a storage database mismatch";
    // Containers start, on a namespace older than the ranges: the canary's fresh namespace proves it.
    const stale = hit.filter((f) => f.code === "canary.stale-mapping");
    if (stale.length > 0 && hit.length === stale.length) {
      const { proven, tries } = canaryProof(stale, fix.id);
      if (proven.length === 0)
        return `the canary did not start a container with more ids mapped in a fresh namespace (its try: ${tries.join("; ")})`;
      return {
        summary: `${user.name}'s Podman makes its user namespace afresh (podman system migrate): it maps only ${user.name}'s own id while /etc/subuid gives ${String(stale[0]?.evidence?.subuid)}.`,
        changes: [ownMigrate(host, user)],
        notes: [`The canary's try: ${tries.join("; ")}`, ...MIGRATE_NOTES],
      };
    }
    const cause = String(hit.find((f) => f.code !== "canary.stale-mapping")?.evidence?.cause);
    const ranges = {
      subuid: ownRanges(await host.readFile("/etc/subuid"), user),
      subgid: ownRanges(await host.readFile("/etc/subgid"), user),
    };
    if (cause !== "storage-mismatch" && (ranges.subuid.length === 0 || ranges.subgid.length === 0))
      return `${user.name} has no subordinate ${ranges.subuid.length === 0 ? "uids" : "gids"} to map: podlift fix --only subid-ranges adds them (and migrates)`;
    // What Podman maps now: one line (the user's own id) while the files give a range is stale.
    const map = await host.run(["podman", "unshare", "cat", "/proc/self/uid_map"], {
      user: asUser(host, user),
      env: await userEnv(host, user),
      timeoutMs: 20000,
    });
    const lines = map.exitCode === 0 ? map.stdout.trim().split("\n").filter(Boolean).length : null;
    const evidence =
      cause === "storage-mismatch"
        ? "Podman's database was made with other storage settings than storage.conf gives now"
        : `Podman maps ${lines === null ? "an unknown number of" : lines} id range(s) for ${user.name} while /etc/subuid gives ${ranges.subuid.map((r) => `${r.start}+${r.count}`).join(", ")}`;
    return {
      summary: `${user.name}'s Podman makes its user namespace and database afresh (podman system migrate): ${evidence}.`,
      changes: [ownMigrate(host, user)],
      notes: [...MIGRATE_NOTES],
    };
  },
};
