// The one rule for which host folders podlift may relabel (:z) for a container, shared by
// `podlift compose fix` and the selinux-compose-labels fix. Relabelling gives a whole tree the
// container_file_t type: on an enforcing host, a system folder or a home relabelled that way
// breaks the services that read it (sshd can no longer read ~/.ssh/authorized_keys: the user is
// locked out). https://docs.podman.io/en/latest/markdown/podman-run.1.html (Labeling Volume Mounts)
import { realpath } from "node:fs/promises";
import path from "node:path";
import { parsePasswd } from "./users.js";

/** Trees that belong to the system as a whole: no folder in them is relabelled. */
const SYSTEM_TREES = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/proc",
  "/sbin",
  "/sys",
  "/usr",
  // Engines' and the system's own state: relabelling breaks the engine or the journal.
  "/var/lib/containers",
  "/var/lib/docker",
  "/var/lib/kubelet",
  "/var/lib/podlift",
  "/var/lib/systemd",
  "/var/log",
  "/run/containers",
  "/run/docker",
  "/run/podman",
  "/run/systemd",
];

/** System folders themselves (an app's folder below them is fine: /srv/app, /var/lib/app). */
const SYSTEM_FOLDERS = new Set([
  "/",
  "/home",
  "/media",
  "/mnt",
  "/nix",
  "/opt",
  "/root",
  "/run",
  "/run/user",
  "/snap",
  "/srv",
  "/tmp",
  "/var",
  "/var/cache",
  "/var/home",
  "/var/lib",
  "/var/log",
  "/var/mail",
  "/var/run",
  "/var/spool",
  "/var/tmp",
]);

/**
 * True when podlift must not add :z for this host folder: a system folder (/, /etc and below,
 * /usr and below, /var, /run...), a home (any /home/<name>, /var/home/<name>, /root, a user's
 * runtime folder /run/user/<uid>, or any home in `homes`, e.g. from /etc/passwd), a folder that
 * holds a home, anything in an .ssh folder, or a path podlift cannot resolve (still a variable,
 * or relative). `folder`: the bind source as a host path (see bindSourceOnHost).
 */
export function refusesRelabel(folder: string, homes: readonly string[] = []): boolean {
  if (!folder.startsWith("/") || folder.includes("$")) return true;
  const p = path.posix.normalize(folder).replace(/(.)\/+$/, "$1");
  if (SYSTEM_FOLDERS.has(p)) return true;
  if (SYSTEM_TREES.some((t) => p === t || p.startsWith(`${t}/`))) return true;
  if (/^\/(var\/)?home\/[^/]+$/.test(p) || /^\/run\/user\/[^/]+$/.test(p)) return true;
  if (p.split("/").includes(".ssh")) return true;
  for (const raw of homes) {
    if (!raw.startsWith("/")) continue;
    const home = path.posix.normalize(raw).replace(/(.)\/+$/, "$1");
    // A home, or a folder with a home inside it (relabelling is recursive).
    if (home === p || home.startsWith(`${p}/`)) return true;
  }
  return false;
}

/**
 * A bind mount's source as a host path: `~` is the home of the user who runs the project,
 * relative paths start at the compose file's folder. Sources that are still variables stay as
 * they are, and so do ~user and ~ when the home is unknown (refusesRelabel refuses them all).
 */
export function bindSourceOnHost(source: string, composeDir: string, home: string | undefined): string {
  const tilde = source === "~" || source.startsWith("~/");
  if (source.includes("$") || (source.startsWith("~") && (!tilde || home === undefined))) return source;
  const expanded =
    source === "~" ? (home as string) : source.startsWith("~/") ? `${home}${source.slice(1)}` : source;
  return path.posix.resolve(composeDir, expanded);
}

/** Every home the host knows: /etc/passwd's, and the folders in /home and /var/home. */
export async function knownHomes(host: {
  readFile(p: string): Promise<string | null>;
  listDir(p: string): Promise<string[] | null>;
}): Promise<string[]> {
  const passwd = await host.readFile("/etc/passwd").catch(() => null);
  const homes = parsePasswd(passwd ?? "").map((u) => u.home);
  for (const base of ["/home", "/var/home"]) {
    for (const name of (await host.listDir(base).catch(() => null)) ?? []) homes.push(`${base}/${name}`);
  }
  // Homes that are the root or a system tree itself (/nonexistent, /usr/sbin, /) say nothing
  // about a user's own folder; "/" would also make every folder a home's parent.
  return [...new Set(homes)].filter((h) => h.startsWith("/") && h !== "/");
}

/**
 * The folder a host path really names, links followed (inside the root under --root); the path
 * itself when nothing is a link or it cannot be resolved. Podman relabels the real folder, so a
 * project's `./etclink -> /etc` must be judged as /etc.
 */
export async function realHostPath(
  host: { root: string; fs: { resolve(p: string): Promise<string> } },
  p: string,
): Promise<string> {
  if (!p.startsWith("/")) return p;
  try {
    if (host.root === "/") return await realpath(p);
    const real = await host.fs.resolve(p);
    const rel = path.relative(host.root, real);
    return rel.startsWith("..") ? p : `/${rel.split(path.sep).join("/")}`;
  } catch {
    return p;
  }
}
