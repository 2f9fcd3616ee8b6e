// /proc/self/mountinfo, parsed: which filesystem holds a path, and its propagation.
// Format: https://man7.org/linux/man-pages/man5/proc_pid_mountinfo.5.html
export interface MountEntry {
  mountPoint: string;
  optional: string[];
  fsType: string;
  source: string;
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const dash = line.indexOf(" - ");
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(" ");
    const right = line.slice(dash + 3).split(" ");
    if (left.length < 6 || right.length < 2) continue;
    out.push({
      mountPoint: decodeOctal(left[4] as string),
      optional: left.slice(6),
      fsType: right[0] as string,
      source: decodeOctal(right[1] as string),
    });
  }
  return out;
}

/** The mount that holds path: the longest mount point that is a prefix of it (last one wins). */
export function mountFor(mounts: MountEntry[], path: string): MountEntry | null {
  let best: MountEntry | null = null;
  for (const m of mounts) {
    const prefix = m.mountPoint === "/" ? "/" : `${m.mountPoint}/`;
    if (path === m.mountPoint || path.startsWith(prefix)) {
      if (best === null || m.mountPoint.length >= best.mountPoint.length) best = m;
    }
  }
  return best;
}

function decodeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}
