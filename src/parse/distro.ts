// Remedies name the package and command of the user's own distribution.
import type { Facts } from "../doctor/types.js";

export type Family = "debian" | "fedora" | "suse" | "arch" | "alpine" | "unknown";

export function family(facts: Facts): Family {
  const ids = [facts.os?.id ?? "", ...(facts.os?.idLike ?? [])];
  if (ids.some((i) => i === "debian" || i === "ubuntu")) return "debian";
  if (ids.some((i) => ["fedora", "rhel", "centos", "rocky", "almalinux"].includes(i))) return "fedora";
  if (ids.some((i) => i.includes("suse"))) return "suse";
  if (ids.includes("arch")) return "arch";
  if (ids.includes("alpine")) return "alpine";
  return "unknown";
}

/** "sudo apt-get install -y uidmap", or the other families' equivalent. */
export function installHint(
  facts: Facts,
  packages: Partial<Record<Family, string>> & { debian: string },
): string {
  const f = family(facts);
  const name = packages[f] ?? packages.debian;
  switch (f) {
    case "fedora":
      return `sudo dnf install -y ${name}`;
    case "suse":
      return `sudo zypper install -y ${name}`;
    case "arch":
      return `sudo pacman -S ${name}`;
    case "alpine":
      return `sudo apk add ${name}`;
    case "debian":
      return `sudo apt-get install -y ${name}`;
    default:
      return `install the package that provides ${name}`;
  }
}

/** The first of the usual binary folders that holds the program. */
/**
 * An executable of that name in a PATH's folders, looked up through the host, or null. Relative
 * entries are skipped: they depend on the working folder.
 */
export async function findOnPath(
  host: { stat(p: string): Promise<{ type: string; mode: number } | null> },
  name: string,
  searchPath: string,
): Promise<string | null> {
  for (const dir of searchPath.split(":")) {
    if (!dir.startsWith("/")) continue;
    const p = `${dir.replace(/\/+$/, "")}/${name}`;
    const info = await host.stat(p);
    if (info?.type === "file" && (info.mode & 0o111) !== 0) return p;
  }
  return null;
}

export async function findBinary(
  host: { stat(p: string): Promise<{ type: string } | null> },
  name: string,
): Promise<string | null> {
  for (const dir of ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"]) {
    const p = `${dir}/${name}`;
    if ((await host.stat(p))?.type === "file") return p;
  }
  return null;
}
