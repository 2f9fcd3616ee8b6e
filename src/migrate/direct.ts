// Verification of large plain files outside the tar streams. Reading a volume back through tar
// costs ~1 CPU-s per GiB on each side (tar's writes into a pipe, Node's reads, SHA-256 of both
// sides), which on two cores is what kept a verified copy of large files at 1.3-1.4x the raw
// pipe. The walk before the copy lists the regular files of 256 KiB and more with one link and
// no holes; both verification tars (source and copy) leave exactly those out (--exclude-from,
// literal and anchored), and each is compared where it lies instead: fstat of both sides, the
// bytes of both read and compared, and the xattrs of both read with getfattr. Source and copy are
// still each read from their own file system; nothing is taken from the stream that was copied.
import { collectStdout } from "../host/piped.js";
import { FileComparer } from "../host/same-file.js";
import { SpillFile } from "../host/scratch.js";
import type { Host } from "../host/types.js";
import { findOnPath } from "../parse/distro.js";

/** Files from this size on are compared directly. */
export const DIRECT_FROM = 256 * 1024;
/** At most this many per volume (a list kept in memory and in tar's exclude table); the rest go through tar. */
export const DIRECT_MAX = 10000;
/** getfattr arguments per call, in bytes. */
const ARGS_BYTES = 64 * 1024;

/**
 * Whether the walk's entry may be compared directly: a regular file, large, not sparse, one link,
 * and a name that tar's --exclude-from and getfattr's output carry as it is: printable ASCII
 * without a backslash or trailing space (tar ends a line at a newline, trims trailing white space
 * and unquotes backslashes; getfattr escapes other bytes; argv is UTF-8). Other names go through tar.
 */
export function directCandidate(
  type: string,
  rel: string,
  size: number,
  allocated: number,
  links: number,
): boolean {
  return (
    type === "f" &&
    size >= DIRECT_FROM &&
    allocated >= size &&
    links === 1 &&
    rel !== "" &&
    !/[^\x20-\x7e]|\\|\s$/.test(rel)
  );
}

/** Each file's xattrs as one sorted text, by its relative name (as getfattr escapes it). */
async function xattrs(root: string, paths: string[], signal?: AbortSignal) {
  const out = new Map<string, string>();
  let problem: string | null = null;
  for (let i = 0; i < paths.length; ) {
    const batch: string[] = [];
    let bytes = 0;
    while (i < paths.length && (batch.length === 0 || bytes < ARGS_BYTES)) {
      const abs = `${root}/${paths[i]}`;
      batch.push(abs);
      bytes += abs.length + 1;
      i++;
    }
    const { stdout, exit } = await collectStdout(
      ["getfattr", "-h", "--absolute-names", "-d", "-m", "-", "-e", "hex", "--", ...batch],
      signal,
    );
    // A file missing on one side makes getfattr fail there too: said by the file comparison.
    if (exit.code !== 0)
      problem ??=
        exit.stderrLines.length === 0
          ? `getfattr exit ${exit.code}`
          : (exit.stderrLines.find((l) => !/No such file/.test(l)) ?? null);
    let file = "";
    let lines: string[] = [];
    const end = () => {
      if (file) out.set(file, lines.sort().join("\n"));
      file = "";
      lines = [];
    };
    for (const line of stdout.toString("latin1").split("\n")) {
      if (line.startsWith("# file: ")) {
        end();
        const name = line.slice(8);
        // A root getfattr escaped differs from the other side's: a difference, never a match.
        file = name.startsWith(`${root}/`) ? name.slice(root.length + 1) : `?${name}`;
      } else if (line.trim() !== "") lines.push(line);
    }
    end();
  }
  return { byFile: out, problem };
}

export class DirectCheck {
  private constructor(
    readonly paths: string[],
    /** The exclude list: "./path" lines, in a private folder of the temporary directory. */
    private readonly list: SpillFile,
    private readonly file: string,
  ) {}

  /** A check of these paths, or null when there are none or getfattr is not on the host's PATH. */
  static async of(host: Host, paths: string[] | undefined): Promise<DirectCheck | null> {
    if (!paths || paths.length === 0) return null;
    if ((await findOnPath(host, "getfattr", host.env("PATH") ?? process.env.PATH ?? "")) === null)
      return null;
    const list = new SpillFile("podlift-direct-", "exclude");
    for (const p of paths) list.append(`./${p}`);
    return new DirectCheck(paths, list, list.finish());
  }

  /** Tar's arguments that leave out exactly these paths. */
  excludeArgs(): string[] {
    // Positional in GNU tar: --anchored and --no-wildcards apply to the patterns after them.
    return ["--anchored", "--no-wildcards", `--exclude-from=${this.file}`];
  }

  /**
   * Compares each path between the two roots; report gets every difference. Resolves to the
   * number of files compared.
   */
  async run(
    source: string,
    copy: string,
    report: (path: string, problem: string) => void,
    signal?: AbortSignal,
  ): Promise<number> {
    const attrs = Promise.all([xattrs(source, this.paths, signal), xattrs(copy, this.paths, signal)]);
    // Two files at a time: each side's reads wait on the disk or the page cache, not on the CPU.
    const comparers = [new FileComparer(), new FileComparer()];
    let next = 0;
    const bytes = (root: string, p: string) => Buffer.from(`${root}/${p}`);
    await Promise.all(
      comparers.map(async (c) => {
        while (next < this.paths.length) {
          const p = this.paths[next++] as string;
          for (const problem of await c.compare(bytes(source, p), bytes(copy, p), signal)) report(p, problem);
        }
      }),
    );
    const [a, b] = await attrs;
    const failed = a.problem ?? b.problem;
    if (failed) report(".", `reading xattrs failed: ${failed}`);
    const names = (t: string | undefined) =>
      t === undefined
        ? "none"
        : t
            .split("\n")
            .map((l) => (l.includes("=") ? l.slice(0, l.indexOf("=")) : l))
            .join(",");
    // getfattr lists only files that have xattrs, under the names given (the candidates hold no
    // byte it escapes); a name it wrote otherwise would make both sides look bare: a difference.
    const listed = new Set(this.paths);
    for (const side of [a.byFile, b.byFile])
      for (const name of side.keys())
        if (!listed.has(name)) report(name, "xattrs: getfattr named a file not asked for");
    for (const p of this.paths) {
      const x = a.byFile.get(p);
      const y = b.byFile.get(p);
      if (x !== y) report(p, `xattrs: source ${names(x)}, target ${names(y)}`);
    }
    return this.paths.length;
  }

  /** Removes the exclude list. */
  close(): void {
    this.list.close();
  }
}
