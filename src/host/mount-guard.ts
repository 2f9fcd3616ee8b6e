// A file system that stops answering (a dead NFS server, a hung automount or FUSE daemon) turns
// each stat, open or read of a path on it into a libuv pool thread blocked for good: a stuck
// system call cannot be taken back, and Node has four such threads. Three checks looking into a
// home on a dead NFS, and every later file operation of the run (the report's own write) waits
// behind them: podlift hangs. So on the file systems that can hang (network, FUSE, autofs), one
// operation at a time per mount, each given a few seconds; a mount that did not answer is asked
// nothing more in this run, and what podlift wanted from it is reported as unreadable. Local
// file systems (ext4, xfs, btrfs, tmpfs, overlay, proc, sysfs, …) go through untouched.
import { readFileSync } from "node:fs";

/** Mount types that can stop answering. fuse.* covers sshfs, s3fs, rclone, gvfs and the like. */
const CAN_HANG =
  /^(nfs4?|cifs|smb3|smbfs|9p|ceph|glusterfs|lustre|gpfs|afs|ncpfs|davfs|virtiofs|autofs|fuse|fuseblk|fuse\..+)$/;

export interface Mount {
  point: string;
  type: string;
}

/** Thrown for an operation on a mount that did not answer in time (now or earlier in the run). */
export class MountNotAnswering extends Error {
  readonly code = "EPODLIFTHUNG";
  constructor(
    readonly mount: Mount,
    readonly timeoutMs: number,
  ) {
    super(`its file system (${mount.type} at ${mount.point}) did not answer within ${timeoutMs / 1000} s`);
  }
}

/** The mounts of /proc/self/mountinfo (octal escapes undone); [] when it cannot be read. */
export function parseMountinfo(text: string): Mount[] {
  const unoctal = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const at = line.indexOf(" - ");
    if (at < 0) continue;
    const point = line.slice(0, at).split(" ")[4];
    const type = line.slice(at + 3).split(" ")[0];
    if (point?.startsWith("/") && type) mounts.push({ point: unoctal(point), type });
  }
  return mounts;
}

export class MountGuard {
  private mounts: Mount[] | null = null;
  /** The mounts that can hang: most hosts have none, and then nothing is looked up per call. */
  private risky: Mount[] | null = null;
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly hung = new Set<string>();

  constructor(
    private readonly loadMounts: () => Mount[] = readMounts,
    readonly timeoutMs = 5000,
  ) {}

  /** The mount `realPath` is on (the longest mount point above it); null when none is known. */
  mountOf(realPath: string): Mount | null {
    this.mounts ??= this.loadMounts();
    let best: Mount | null = null;
    for (const m of this.mounts) {
      // the later of two mounts on one point is the one in use
      if (isUnder(realPath, m.point) && (best === null || m.point.length >= best.point.length)) best = m;
    }
    return best;
  }

  /**
   * Runs `op` (a file operation on `realPath`): at once on a local file system; on one that can
   * hang, after the operations on that mount before it, and failing with MountNotAnswering when
   * it takes over timeoutMs or when that mount did not answer before.
   */
  run<T>(realPath: string, op: () => Promise<T>): Promise<T> {
    this.mounts ??= this.loadMounts();
    this.risky ??= this.mounts.filter((m) => CAN_HANG.test(m.type));
    if (!this.risky.some((m) => isUnder(realPath, m.point))) return op();
    const mount = this.mountOf(realPath);
    if (mount === null || !CAN_HANG.test(mount.type)) return op();
    const attempt = async (): Promise<T> => {
      if (this.hung.has(mount.point)) throw new MountNotAnswering(mount, this.timeoutMs);
      const pending = op();
      // Its end, after a timeout, is nobody's concern (a late rejection is not unhandled).
      pending.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.hung.add(mount.point);
          reject(new MountNotAnswering(mount, this.timeoutMs));
        }, this.timeoutMs);
      });
      try {
        return await Promise.race([pending, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    const result = (this.queues.get(mount.point) ?? Promise.resolve()).then(attempt);
    this.queues.set(
      mount.point,
      result.catch(() => undefined),
    );
    return result;
  }
}

function isUnder(realPath: string, point: string): boolean {
  return (
    point === "/" ||
    (realPath.startsWith(point) && (realPath.length === point.length || realPath[point.length] === "/"))
  );
}

/** /proc/self/mountinfo, read synchronously once (procfs answers from memory, never hangs). */
function readMounts(): Mount[] {
  try {
    return parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"));
  } catch {
    return [];
  }
}

/** The run's guard: one per process, as the pool threads it protects are. */
export const mountGuard = new MountGuard();
