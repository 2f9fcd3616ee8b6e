// Debian roots for the tests that need another host than this one: a Debian 13 (trixie) root with
// Podman 5 for the real Quadlet generator (Debian 12 ships Podman 4.3, which has none), and a
// plain Debian 12 (bookworm) root as a second host for the fleet tests. Each is built once with
// debootstrap from the host's own Debian mirror, cached at a fixed path; a stamp file written last
// marks a finished build, so a half-built root (a killed run, a full disk) is removed and built again.
// Building takes 64 s on the development machine (2 cores, the stamp records it); a first
// attempt there took about 3.5 min, the download being most of it. About 250 MB on disk.
// Two test runs from different checkouts at once share the root: the build is locked, but
// their mounts and the Podman storage under /var/tmp/podlift-st in it are not.
// The bookworm root (minbase, no Podman) took 76 s, about 200 MB.
// Build by hand: `PODLIFT_BUILD_TRIXIE=1 npx vite-node test/integration/debian-roots.ts`
// (prints the build time).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface RootSpec {
  suite: string;
  dir: string;
  /** Packages beyond the minimal base. */
  include: string[];
  /** A file that a finished root has. */
  marker: string;
  /** A command run in the finished root, its output kept in the stamp. */
  probe: string[];
}

export const TRIXIE: RootSpec = {
  suite: "trixie",
  dir: process.env.PODLIFT_TRIXIE_ROOT ?? "/var/cache/podlift-test/trixie-root",
  include: ["podman"],
  marker: "usr/libexec/podman/quadlet",
  probe: ["podman", "--version"],
};

export const BOOKWORM: RootSpec = {
  suite: "bookworm",
  dir: process.env.PODLIFT_BOOKWORM_ROOT ?? "/var/cache/podlift-test/bookworm-root",
  include: [],
  marker: "etc/debian_version",
  probe: ["cat", "/etc/debian_version"],
};

export const TRIXIE_ROOT = TRIXIE.dir;
/** debootstrap downloads about 120 MB and unpacks about 400 MB: well under this. */
const BUILD_TIMEOUT_MS = 20 * 60 * 1000;

/** The Debian mirror apt uses on this host (deb822 or one-line sources), else deb.debian.org. */
export function hostMirror(): string {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const uri =
      /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m.exec(text);
    if (uri?.[1]) return uri[1];
  }
  return "http://deb.debian.org/debian";
}

/** Why the root cannot be built here, or null; with PODLIFT_REQUIRE_LIVE=1 a gap throws. */
export function trixieUnavailable(): string | null {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root");
  if (!existsSync("/usr/sbin/debootstrap") && spawnSync("sh", ["-c", "command -v debootstrap"]).status !== 0)
    missing.push("debootstrap");
  if (missing.length === 0) return null;
  const why = `the trixie root needs ${missing.join(", ")}`;
  if (process.env.PODLIFT_REQUIRE_LIVE === "1") throw new Error(`${why} (PODLIFT_REQUIRE_LIVE=1)`);
  return why;
}

export interface TrixieRoot {
  dir: string;
  /** How long building took in this call; null when the cached root was used. */
  builtMs: number | null;
}

export function ensureTrixieRoot(): Promise<TrixieRoot> {
  return ensureDebianRoot(TRIXIE);
}

/** The cached root, built first when there is no finished one. One builder at a time (a lock folder). */
export async function ensureDebianRoot(spec: RootSpec): Promise<TrixieRoot> {
  const { dir } = spec;
  const stamp = `${dir}.stamp`;
  const lock = `${dir}.lock`;
  if (existsSync(stamp) && existsSync(path.join(dir, spec.marker))) return { dir, builtMs: null };
  mkdirSync(path.dirname(dir), { recursive: true });
  const started = Date.now();
  // Another test process may be building: wait for its lock to go (at most the build timeout).
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - started > BUILD_TIMEOUT_MS) throw new Error(`${lock} held too long`);
      await new Promise((r) => setTimeout(r, 2000));
      if (existsSync(stamp)) return { dir, builtMs: null };
    }
  }
  try {
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    rmSync(stamp, { force: true });
    const t0 = Date.now();
    const include = spec.include.length > 0 ? [`--include=${spec.include.join(",")}`] : [];
    const r = spawnSync("debootstrap", ["--variant=minbase", ...include, spec.suite, dir, hostMirror()], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: BUILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    if (r.status !== 0)
      throw new Error(`debootstrap failed (${r.status ?? r.signal}): ${r.stderr?.toString().slice(-2000)}`);
    const builtMs = Date.now() - t0;
    // podman reads /proc: asked inside the mounts.
    const probed = await withMounts(dir, () =>
      execFileSync("chroot", [dir, ...spec.probe], { encoding: "utf8" }).trim(),
    );
    writeFileSync(stamp, `${JSON.stringify({ builtMs, probed, at: new Date().toISOString() })}\n`);
    return { dir, builtMs };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Unmounts every mount at or below dir, deepest first. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => (l.split(" ")[4] ?? "").replace(/\\040/g, " "))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync("umount", ["-l", m]);
}

/**
 * Runs fn with the root bound onto itself and /proc, /sys and /dev bind-mounted into it;
 * unmounted afterwards, always.
 */
export async function withMounts<T>(dir: string, fn: () => Promise<T> | T): Promise<T> {
  const mounted: string[] = [];
  try {
    // The root bound onto itself: Podman's layer unpacking re-mounts "/" and fails in a plain chroot.
    execFileSync("mount", ["--bind", dir, dir]);
    mounted.push(dir);
    for (const m of ["proc", "sys", "dev"]) {
      const target = path.join(dir, m);
      mkdirSync(target, { recursive: true });
      execFileSync("mount", ["--rbind", `/${m}`, target]);
      execFileSync("mount", ["--make-rslave", target]);
      mounted.push(target);
    }
    return await fn();
  } finally {
    for (const m of mounted.reverse()) spawnSync("umount", ["-R", "-l", m]);
  }
}

export interface QuadletRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real Podman 5 Quadlet generator on some unit files: they are placed in a fresh folder
 * inside the root, named by QUADLET_UNIT_DIRS, and `quadlet -dryrun` prints the services.
 */
export function quadletDryRun(
  dir: string,
  units: { name: string; content: string }[],
  user = false,
): QuadletRun {
  mkdirSync(path.join(dir, "tmp"), { recursive: true });
  const unitDir = mkdtempSync(path.join(dir, "tmp", "podlift-units-"));
  try {
    for (const u of units) writeFileSync(path.join(unitDir, u.name), u.content);
    const inside = `/${path.relative(dir, unitDir)}`;
    const r = spawnSync(
      "chroot",
      [
        dir,
        "env",
        `QUADLET_UNIT_DIRS=${inside}`,
        "/usr/libexec/podman/quadlet",
        "-dryrun",
        ...(user ? ["-user"] : []),
      ],
      { encoding: "utf8", timeout: 60000, killSignal: "SIGKILL" },
    );
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  } finally {
    rmSync(unitDir, { recursive: true, force: true });
  }
}

if (process.env.PODLIFT_BUILD_TRIXIE === "1") {
  const why = trixieUnavailable();
  if (why) {
    console.error(why);
    process.exit(1);
  }
  for (const spec of [TRIXIE, BOOKWORM]) {
    const { dir, builtMs } = await ensureDebianRoot(spec);
    console.log(`${dir}: ${builtMs === null ? "cached" : `built in ${(builtMs / 1000).toFixed(1)} s`}`);
    console.log(readFileSync(`${dir}.stamp`, "utf8").trim());
  }
}
