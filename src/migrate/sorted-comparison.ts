// Verification of two tars listed in the same order (GNU tar --sort=name on both sides): the
// source's entries spill to a temporary file as one compact line each and are read back in step
// with the copy's, so memory stays flat however many entries a volume holds (200,000 entries
// kept in a Map cost ~50 MiB). Hardlinks compare by their leader: in name order both tars name
// the group's first member.
import { SpillFile } from "../host/scratch.js";
import { type Difference, fieldsOf, type ManifestEntry, RECORD_FIELDS, record } from "./tar-manifest.js";

/**
 * The order of `tar --sort=name`: the root first, then depth first with each folder's names in
 * byte order (gnulib savedir, strcmp). Comparing with "/" as the lowest byte gives just that.
 */
export function tarOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === ".") return -1;
  if (b === ".") return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return (x === 0x2f ? -1 : x) - (y === 0x2f ? -1 : y);
  }
  return a.length - b.length;
}

const show = (p: string) => JSON.stringify(p).slice(1, -1);

export class SortedComparison {
  total = 0;
  private readonly out: Difference[] = [];
  /** The source's entries, one line each, until the copy's are read. */
  private readonly spill = new SpillFile("podlift-verify-", "source");
  private lastSource: string | null = null;
  private lastCopy: string | null = null;
  private ahead: [string, string] | null = null;

  constructor(private readonly options: { xattrs: boolean; limit?: number } = { xattrs: true }) {}

  private push(p: string, problem: string) {
    this.total++;
    if (this.out.length < (this.options.limit ?? 200)) this.out.push({ path: show(p), problem });
  }

  /** A difference found outside the two tar streams (a file compared directly). */
  difference = (path: string, problem: string): void => this.push(path, problem);

  /** An entry of the source, in name order. */
  addSource = (e: ManifestEntry): void => {
    if (this.lastSource !== null && tarOrder(this.lastSource, e.path) >= 0)
      throw new Error(`the source's tar is not in name order at ${show(e.path)}`);
    this.lastSource = e.path;
    // Paths and records are latin1 strings; JSON escapes tabs and newlines inside them.
    this.spill.append(`${JSON.stringify(e.path)}\t${record(e, true)}`);
  };

  /** The next source entry not yet matched, or null at the end. */
  private peek(): [string, string] | null {
    if (this.ahead) return this.ahead;
    const line = this.spill.nextLine();
    if (line === null) return null;
    const tab = line.indexOf("\t");
    this.ahead = [JSON.parse(line.slice(0, tab)) as string, line.slice(tab + 1)];
    return this.ahead;
  }

  /** An entry of the copy, in name order, checked against the source's entry of that name. */
  checkCopy = (e: ManifestEntry): void => {
    if (this.lastCopy !== null && tarOrder(this.lastCopy, e.path) >= 0)
      throw new Error(`the copy's tar is not in name order at ${show(e.path)}`);
    this.lastCopy = e.path;
    let next = this.peek();
    while (next && tarOrder(next[0], e.path) < 0) {
      this.push(next[0], "missing in the target");
      this.ahead = null;
      next = this.peek();
    }
    if (!next || next[0] !== e.path) {
      this.push(e.path, "only in the target");
      return;
    }
    this.ahead = null;
    this.compare(e.path, next[1], record(e, true));
  };

  private compare(p: string, want: string, got: string) {
    if (want === got) return;
    const a = fieldsOf(want);
    const b = fieldsOf(got);
    if (a[0] === "hardlink" || b[0] === "hardlink") {
      this.push(p, "hardlink group differs");
      return;
    }
    RECORD_FIELDS.forEach((f, i) => {
      if (f === "xattrs" && !this.options.xattrs) return;
      if (JSON.stringify(a[i]) === JSON.stringify(b[i])) return;
      const x = f === "xattrs" ? Object.keys(a[i] as object).join(",") || "none" : String(a[i]);
      const y = f === "xattrs" ? Object.keys(b[i] as object).join(",") || "none" : String(b[i]);
      this.push(p, `${f}: source ${x}, target ${y}`);
    });
  }

  /** Every difference, once the copy was read to its end; removes the spill file. */
  finish(): Difference[] {
    for (let next = this.peek(); next; next = this.peek()) {
      this.push(next[0], "missing in the target");
      this.ahead = null;
    }
    this.close();
    return this.out;
  }

  /** Removes the spill file (finish does; a failed copy calls this). */
  close(): void {
    this.spill.close();
  }
}
