// A byte-exact manifest of a tar stream, built while the stream flows past. Hand-written rather
// than tar-stream because names and xattr values must stay bytes: tar-stream decodes PAX records
// as UTF-8, which merges distinct non-UTF-8 names and alters binary xattrs (security.capability).
// Formats read: ustar, GNU long names/links ('L'/'K'), PAX ('x'/'g'). Spec:
// https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html (ustar, pax extended headers)
import { createHash, type Hash } from "node:crypto";
import { Writable } from "node:stream";
import { type RemoteHash, remoteHash } from "../host/hash-worker.js";

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface ManifestEntry {
  /** Path relative to the volume root, "." for the root; bytes kept as latin1 (1:1). */
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  sha256: string | null;
  linkTarget: string | null;
  /** For hardlinks: the path the tar names as the first member of the group. */
  hardlinkTo: string | null;
  device: string | null;
  /** name -> hex of the raw value. */
  xattrs: Record<string, string>;
  /** For a sparse file (GNU tar --sparse): the bytes its data regions hold, fewer than size. */
  stored?: number;
}

export interface Manifest {
  entries: Map<string, ManifestEntry>;
  bytes: number;
  maxUid: number;
  maxGid: number;
}

const TYPES: Record<string, EntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

const NO_XATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** Holes hash as the zeros a reader sees, fed from one buffer. */
const ZEROS = Buffer.alloc(1024 * 1024);
/**
 * An end-of-archive block, compared natively: a tar of 1 MiB records ends in up to 2,048 of them,
 * which a test byte by byte in JavaScript took ~5 ms a stream over.
 */
const ZERO_BLOCK = ZEROS.subarray(0, 512);
/**
 * Contents from this size on are hashed on the hashing thread when the builder may (parallel);
 * smaller ones gained nothing there (ten volumes of 100 x 512 KiB: 3.64 s against 3.53 s) and
 * the thread costs ~30 MiB, so a volume of small files never starts it.
 */
const REMOTE_FROM = 4 * 1024 * 1024;
/** A sparse map longer than this is refused (a map entry is two decimal numbers). */
const MAX_SPARSE_MAP = 16 * 1024 * 1024;

/**
 * A sparse file in GNU tar's PAX format 1.0 (what `tar --sparse --format=posix` writes): the data
 * starts with a map ("count\n" then "offset\nlength\n" pairs, padded to 512 bytes), then the
 * regions' bytes one after another. https://www.gnu.org/software/tar/manual/html_node/Sparse-Formats.html
 */
interface SparseState {
  realSize: number;
  head: Buffer | null;
  skip: number;
  regions: [number, number][];
  region: number;
  /** Logical offset hashed up to. */
  pos: number;
  stored: number;
}

function parseSparseMap(head: Buffer): { regions: [number, number][]; length: number } | null {
  const numbers: number[] = [];
  let at = 0;
  let count = -1;
  while (count < 0 || numbers.length < 1 + 2 * count) {
    const nl = head.indexOf(0x0a, at);
    if (nl === -1) return null;
    const n = Number(head.subarray(at, nl).toString("latin1"));
    if (!Number.isSafeInteger(n) || n < 0) throw new Error("sparse file map is not numbers");
    numbers.push(n);
    if (numbers.length === 1) count = n;
    at = nl + 1;
  }
  const regions: [number, number][] = [];
  for (let i = 1; i < numbers.length; i += 2) regions.push([numbers[i] as number, numbers[i + 1] as number]);
  return { regions, length: Math.ceil(at / 512) * 512 };
}

export function normalize(raw: string): string {
  let p = raw;
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/\/+$/, "");
  return p === "" || p === "." ? "." : p;
}

function field(block: Buffer, start: number, length: number): Buffer {
  const slice = block.subarray(start, start + length);
  const nul = slice.indexOf(0);
  return nul === -1 ? slice : slice.subarray(0, nul);
}

function octal(block: Buffer, start: number, length: number): number {
  const raw = block.subarray(start, start + length);
  // GNU base-256 for values that do not fit in octal.
  if ((raw[0] as number) & 0x80) {
    let value = (raw[0] as number) & 0x7f;
    for (let i = 1; i < raw.length; i++) value = value * 256 + (raw[i] as number);
    return value;
  }
  const text = field(block, start, length).toString("latin1").trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

/** PAX records: "<len> <key>=<value>\n", values kept as raw bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const len = Number.parseInt(data.subarray(i, space).toString("latin1"), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > data.length) break;
    const record = data.subarray(space + 1, i + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq > 0) out.set(record.subarray(0, eq).toString("latin1"), record.subarray(eq + 1));
    i += len;
  }
  return out;
}

/** A Writable that parses a tar stream into a manifest; `result` resolves at the end. */
export class ManifestBuilder extends Writable {
  readonly manifest: Manifest = { entries: new Map(), bytes: 0, maxUid: 0, maxGid: 0 };
  private pending = Buffer.alloc(0);
  private state: "header" | "data" | "meta" | "done" = "header";
  private remaining = 0;
  private padding = 0;
  private meta: Buffer[] = [];
  private metaKind = "";
  private current: ManifestEntry | null = null;
  private hash: Hash | null = null;
  private remote: RemoteHash | null = null;
  /** The last content handed to the hashing thread: the reader waits for that thread. */
  private handedOn: RemoteHash | null = null;
  /** Entries read whose digest is still being computed, with those after them, in order. */
  private waiting: { entry: ManifestEntry; digest: Promise<string> | null }[] = [];
  private idle: (() => void) | null = null;
  private sparse: SparseState | null = null;
  private longName: Buffer | null = null;
  private longLink: Buffer | null = null;
  private pax: Map<string, Buffer> | null = null;
  private globalPax = new Map<string, Buffer>();
  private sawEnd = false;
  /** Entries read, stored or not. */
  count = 0;

  constructor(
    private readonly hashContent = true,
    /** store: false keeps no entries (memory stays flat); onEntry sees each one as it completes. */
    private readonly options: {
      store?: boolean;
      onEntry?: (entry: ManifestEntry) => void;
      /** Large contents hash on another thread (src/host/hash-worker.ts); entries still come in order. */
      parallel?: boolean;
    } = {},
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.consume(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    // The hashing thread behind by more than its limit: wait, so memory stays bounded.
    if (this.handedOn) this.handedOn.drained().then(() => callback());
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.state === "data" || this.state === "meta" || this.pending.length > 0) {
      callback(new Error("tar stream ended in the middle of an entry"));
    } else if (!this.sawEnd) {
      callback(new Error("tar stream ended without its end-of-archive marker"));
    } else if (this.waiting.length === 0) callback();
    else this.idle = () => callback();
  }

  /** An entry complete but for its digest, maybe: handed on in order, once every digest before it is in. */
  private handOn(entry: ManifestEntry, digest: Promise<string> | null): void {
    if (digest === null && this.waiting.length === 0) {
      this.deliver(entry);
      return;
    }
    const item = { entry, digest };
    this.waiting.push(item);
    digest?.then(
      (hex) => {
        if (this.destroyed) return;
        entry.sha256 = hex;
        item.digest = null;
        try {
          while (this.waiting.length > 0 && (this.waiting[0] as { digest: unknown }).digest === null)
            this.deliver((this.waiting.shift() as { entry: ManifestEntry }).entry);
        } catch (error) {
          this.destroy(error as Error);
          return;
        }
        if (this.waiting.length === 0) this.idle?.();
      },
      (error: Error) => this.destroy(new Error(`hashing failed: ${error.message}`)),
    );
  }

  private deliver(entry: ManifestEntry): void {
    if (this.options.store !== false) this.manifest.entries.set(entry.path, entry);
    this.count++;
    this.options.onEntry?.(entry);
  }

  private consume(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && this.state !== "done") {
      if (this.state === "data" || this.state === "meta") {
        if (this.remaining > 0) {
          const take = Math.min(this.remaining, buf.length);
          const part = buf.subarray(0, take);
          if (this.state === "data") {
            if (this.sparse) this.sparseData(part);
            else if (this.remote) this.remote.update(part);
            else this.hash?.update(part);
          } else this.meta.push(Buffer.from(part));
          this.remaining -= take;
          buf = buf.subarray(take);
          continue;
        }
        if (this.padding > 0) {
          const skip = Math.min(this.padding, buf.length);
          this.padding -= skip;
          buf = buf.subarray(skip);
          if (this.padding > 0) continue;
        }
        this.endEntry();
        continue;
      }
      if (buf.length < 512) {
        this.pending = Buffer.from(buf);
        return;
      }
      const block = buf.subarray(0, 512);
      buf = buf.subarray(512);
      this.header(block);
    }
  }

  private header(block: Buffer): void {
    if (block.equals(ZERO_BLOCK)) {
      this.sawEnd = true; // end-of-archive blocks
      return;
    }
    const typeflag = String.fromCharCode(block[156] as number);
    const size = octal(block, 124, 12);
    const sizeFromPax = this.pax?.get("size") ?? this.globalPax.get("size");
    const dataSize = sizeFromPax ? Number(sizeFromPax.toString("latin1")) : size;
    this.remaining = dataSize;
    this.padding = (512 - (dataSize % 512)) % 512;
    if (typeflag === "L" || typeflag === "K" || typeflag === "x" || typeflag === "g") {
      this.state = "meta";
      this.metaKind = typeflag;
      this.meta = [];
      if (dataSize === 0) this.endEntry();
      return;
    }
    if (typeflag === "S") throw new Error("old GNU sparse entries are not read: archive with --format=posix");
    let name = field(block, 0, 100);
    // POSIX ustar ("ustar\0" "00") splits long names into prefix + name; GNU ("ustar  ") does not.
    if (block.subarray(257, 263).toString("latin1") === "ustar\u0000") {
      const prefix = field(block, 345, 155);
      if (prefix.length > 0) name = Buffer.concat([prefix, Buffer.from("/"), name]);
    }
    const pax = this.pax;
    const sparseMajor = pax?.get("GNU.sparse.major")?.toString("latin1");
    if (pax?.has("GNU.sparse.offset") || pax?.has("GNU.sparse.map") || (sparseMajor && sparseMajor !== "1"))
      throw new Error("GNU sparse format 0.x is not read: archive with tar 1.27 or later");
    const sparseName = sparseMajor === "1" ? pax?.get("GNU.sparse.name") : undefined;
    const path = normalize((sparseName ?? pax?.get("path") ?? this.longName ?? name).toString("latin1"));
    const link = (pax?.get("linkpath") ?? this.longLink ?? field(block, 157, 100)).toString("latin1");
    const type = TYPES[typeflag] ?? "file";
    const num = (key: string, fallback: number) => {
      const v = pax?.get(key);
      return v ? Math.floor(Number(v.toString("latin1"))) : fallback;
    };
    // Most entries have none: they share one empty object instead of one each.
    let xattrs: Record<string, string> = NO_XATTRS;
    const records = [...(pax ?? new Map<string, Buffer>())].filter(([k]) => k.startsWith("SCHILY.xattr."));
    for (const [key, value] of records.sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (xattrs === NO_XATTRS) xattrs = {};
      xattrs[key.slice("SCHILY.xattr.".length)] = value.toString("hex");
    }
    const realSize = sparseMajor === "1" && type === "file" ? num("GNU.sparse.realsize", -1) : -1;
    if (sparseMajor === "1" && !(realSize >= 0)) throw new Error(`sparse file ${path} without its real size`);
    const entry: ManifestEntry = {
      path,
      type,
      mode: octal(block, 100, 8) & 0o7777,
      uid: num("uid", octal(block, 108, 8)),
      gid: num("gid", octal(block, 116, 8)),
      size: type === "file" ? (realSize >= 0 ? realSize : dataSize) : 0,
      mtime: num("mtime", octal(block, 136, 12)),
      sha256: null,
      linkTarget: type === "symlink" ? link : null,
      hardlinkTo: type === "hardlink" ? normalize(link) : null,
      device: type === "char" || type === "block" ? `${octal(block, 329, 8)}:${octal(block, 337, 8)}` : null,
      xattrs,
    };
    this.manifest.maxUid = Math.max(this.manifest.maxUid, entry.uid);
    this.manifest.maxGid = Math.max(this.manifest.maxGid, entry.gid);
    this.longName = null;
    this.longLink = null;
    this.pax = null;
    this.current = entry;
    this.sparse =
      realSize >= 0
        ? { realSize, head: Buffer.alloc(0), skip: 0, regions: [], region: 0, pos: 0, stored: 0 }
        : null;
    const hashed = type === "file" && this.hashContent;
    this.remote =
      hashed && this.options.parallel && !this.sparse && dataSize >= REMOTE_FROM ? remoteHash() : null;
    if (this.remote) this.handedOn = this.remote;
    this.hash = hashed && !this.remote ? createHash("sha256") : null;
    this.manifest.bytes += entry.size;
    this.state = "data";
    if (dataSize === 0) this.endEntry();
  }

  /** Zeros up to a logical offset: the holes before it. */
  private zerosTo(offset: number): void {
    const s = this.sparse as SparseState;
    if (offset < s.pos || offset > s.realSize) throw new Error("sparse file map out of order");
    for (; s.pos < offset; s.pos += Math.min(ZEROS.length, offset - s.pos))
      this.hash?.update(ZEROS.subarray(0, Math.min(ZEROS.length, offset - s.pos)));
  }

  /** A sparse file's stored bytes: its map, then its regions, hashed with the holes between. */
  private sparseData(part: Buffer): void {
    const s = this.sparse as SparseState;
    let buf = part;
    if (s.head !== null) {
      s.head = Buffer.concat([s.head, buf]);
      const map = parseSparseMap(s.head);
      if (!map) {
        if (s.head.length > MAX_SPARSE_MAP) throw new Error("sparse file map too long");
        return;
      }
      s.regions = map.regions;
      if (s.head.length >= map.length) buf = s.head.subarray(map.length);
      else {
        s.skip = map.length - s.head.length;
        buf = Buffer.alloc(0);
      }
      s.head = null;
    }
    if (s.skip > 0) {
      const n = Math.min(s.skip, buf.length);
      s.skip -= n;
      buf = buf.subarray(n);
    }
    while (buf.length > 0) {
      const region = s.regions[s.region];
      if (!region) throw new Error("sparse file holds more data than its map says");
      const [offset, length] = region;
      if (offset + length < s.pos) throw new Error("sparse file map out of order");
      if (s.pos < offset) this.zerosTo(offset);
      const take = Math.min(offset + length - s.pos, buf.length);
      this.hash?.update(buf.subarray(0, take));
      s.pos += take;
      s.stored += take;
      buf = buf.subarray(take);
      if (s.pos === offset + length) s.region++;
    }
  }

  private endSparse(entry: ManifestEntry): void {
    const s = this.sparse as SparseState;
    if (s.head !== null) throw new Error(`sparse file ${entry.path} ended inside its map`);
    for (; s.region < s.regions.length; s.region++) {
      const [offset, length] = s.regions[s.region] as [number, number];
      if (length > 0) throw new Error(`sparse file ${entry.path} ended before its data`);
      this.zerosTo(offset);
    }
    this.zerosTo(s.realSize);
    if (s.stored < s.realSize) entry.stored = s.stored;
  }

  private endEntry(): void {
    if (this.state === "meta") {
      const data = Buffer.concat(this.meta);
      if (this.metaKind === "L") this.longName = field(data, 0, data.length);
      else if (this.metaKind === "K") this.longLink = field(data, 0, data.length);
      else if (this.metaKind === "x") this.pax = parsePax(data);
      else for (const [k, v] of parsePax(data)) this.globalPax.set(k, v);
    } else if (this.current) {
      if (this.sparse) this.endSparse(this.current);
      if (this.hash) this.current.sha256 = this.hash.digest("hex");
      this.handOn(this.current, this.remote ? this.remote.digest() : null);
      this.current = null;
      this.hash = null;
      this.remote = null;
      this.sparse = null;
    }
    this.state = "header";
    this.remaining = 0;
    this.padding = 0;
  }
}

export interface Difference {
  path: string;
  problem: string;
}

/** Hardlink groups by member path: the sorted members joined, for members of a group only. */
function groups(manifest: Manifest): Map<string, string> {
  const members = new Map<string, string[]>();
  for (const e of manifest.entries.values()) {
    if (e.type !== "hardlink" || !e.hardlinkTo) continue;
    const list = members.get(e.hardlinkTo) ?? [e.hardlinkTo];
    list.push(e.path);
    members.set(e.hardlinkTo, list);
  }
  const out = new Map<string, string>();
  for (const list of members.values()) {
    const key = list.sort().join("\u0000");
    for (const p of list) out.set(p, key);
  }
  return out;
}

/** The entry that carries a path's content: the group's first member for a hardlink. */
function content(manifest: Manifest, e: ManifestEntry): ManifestEntry {
  return e.type === "hardlink" && e.hardlinkTo ? (manifest.entries.get(e.hardlinkTo) ?? e) : e;
}

const FIELDS = ["type", "mode", "uid", "gid", "size", "sha256", "linkTarget", "device"] as const;

/**
 * Every way the target differs from the source. Two tars may list a hardlink group in another
 * order, so hardlinks compare by content and group, not by which member came first. The mtime of
 * symlinks is not compared (not every tar restores it). Works on the manifests as they are,
 * without copies: memory stays at the two manifests.
 */
export function compareManifests(
  source: Manifest,
  target: Manifest,
  options: { xattrs: boolean; limit?: number },
): Difference[] {
  const groupsA = groups(source);
  const groupsB = groups(target);
  const out: Difference[] = [];
  const limit = options.limit ?? 200;
  const show = (p: string) => JSON.stringify(p).slice(1, -1);
  for (const [p, raw] of source.entries) {
    if (out.length >= limit) break;
    const rawT = target.entries.get(p);
    if (!rawT) {
      out.push({ path: show(p), problem: "missing in the target" });
      continue;
    }
    const e = content(source, raw);
    const t = content(target, rawT);
    for (const f of FIELDS) {
      const a = f === "type" && e[f] === "hardlink" ? "file" : e[f];
      const b = f === "type" && t[f] === "hardlink" ? "file" : t[f];
      if (a !== b) out.push({ path: show(p), problem: `${f}: source ${String(a)}, target ${String(b)}` });
    }
    if ((groupsA.get(p) ?? "") !== (groupsB.get(p) ?? ""))
      out.push({ path: show(p), problem: "hardlink group differs" });
    if (e.type !== "symlink" && e.mtime !== t.mtime)
      out.push({ path: show(p), problem: `mtime: source ${e.mtime}, target ${t.mtime}` });
    if (options.xattrs && JSON.stringify(e.xattrs) !== JSON.stringify(t.xattrs)) {
      out.push({
        path: show(p),
        problem: `xattrs: source ${Object.keys(e.xattrs).join(",") || "none"}, target ${Object.keys(t.xattrs).join(",") || "none"}`,
      });
    }
  }
  for (const p of target.entries.keys()) {
    if (out.length >= limit) break;
    if (!source.entries.has(p)) out.push({ path: show(p), problem: "only in the target" });
  }
  return out;
}

/**
 * One entry as a compact string: what verification compares, without keeping objects around.
 * keepLinks: a hardlink is its leader's path (two tars in name order name the same leader).
 */
export function record(e: ManifestEntry, keepLinks = false): string {
  if (keepLinks && e.type === "hardlink")
    return JSON.stringify(["hardlink", 0, 0, 0, 0, 0, null, e.hardlinkTo]);
  const type = e.type === "hardlink" ? "file" : e.type;
  const mtime = e.type === "symlink" ? 0 : e.mtime;
  // The first 96 bits of the SHA-256 in base64 and no trailing empty fields: about 45 bytes an
  // entry instead of 150 (200,000 entries must fit in 150 MiB). 96 bits still make an accidental
  // match of different content beyond reach.
  const sha = e.sha256 === null ? null : Buffer.from(e.sha256.slice(0, 24), "hex").toString("base64");
  const xattrs = Object.keys(e.xattrs).length ? e.xattrs : null;
  const fields: unknown[] = [type, e.mode, e.uid, e.gid, e.size, mtime, sha, e.linkTarget, e.device, xattrs];
  while (fields.length > 6 && fields.at(-1) === null) fields.pop();
  return JSON.stringify(fields);
}

/** A record back as its ten fields, digests as hex, for a message. */
export function fieldsOf(r: string): unknown[] {
  const a = JSON.parse(r) as unknown[];
  while (a.length < 10) a.push(null);
  if (typeof a[6] === "string") a[6] = `${Buffer.from(a[6], "base64").toString("hex")}…`;
  if (a[9] === null) a[9] = {};
  return a;
}

export const RECORD_FIELDS = [
  "type",
  "mode",
  "uid",
  "gid",
  "size",
  "mtime",
  "sha256",
  "linkTarget",
  "device",
  "xattrs",
];
const SEEN = "\u0001";

/**
 * Source and copy compared as the copy is read back, in the two tars' own orders: the source side
 * keeps one compact string per path (a hardlink takes its group leader's), the copy side keeps
 * nothing but hardlink groups. Memory is one string per source entry, not two manifests of objects.
 */
export class StreamingComparison {
  private readonly source = new Map<string, string>();
  private readonly leadersA = new Map<string, string>();
  private readonly leadersB = new Map<string, string>();
  private readonly out: Difference[] = [];
  private leaderPaths: Set<string> | null = null;
  total = 0;

  constructor(private readonly options: { xattrs: boolean; limit?: number } = { xattrs: true }) {}

  private push(path: string, problem: string) {
    this.total++;
    if (this.out.length < (this.options.limit ?? 200))
      this.out.push({ path: JSON.stringify(path).slice(1, -1), problem });
  }

  private strip(r: string): string {
    if (this.options.xattrs) return r;
    const a = fieldsOf(r);
    a[9] = {};
    return JSON.stringify(a);
  }

  /** A difference found outside the two tar streams (a file compared directly). */
  difference = (path: string, problem: string): void => this.push(path, problem);

  /** An entry of the source, in its order. */
  addSource = (e: ManifestEntry): void => {
    if (e.type === "hardlink" && e.hardlinkTo) {
      this.leadersA.set(e.path, e.hardlinkTo);
      const lead = this.source.get(e.hardlinkTo);
      this.source.set(e.path, lead !== undefined ? lead.replace(SEEN, "") : record(e));
    } else this.source.set(e.path, record(e));
  };

  /** An entry of the copy, checked at once against the source. */
  checkCopy = (e: ManifestEntry): void => {
    const want = this.source.get(e.path);
    if (want === undefined || want.startsWith(SEEN)) {
      this.push(e.path, want === undefined ? "only in the target" : "twice in the target");
      return;
    }
    // Matched: freed, unless a hardlink of the copy may still need it (any member of a source group).
    this.leaderPaths ??= new Set([...this.leadersA.keys(), ...this.leadersA.values()]);
    if (this.leaderPaths.has(e.path)) this.source.set(e.path, SEEN + want);
    else this.source.delete(e.path);
    let got: string;
    if (e.type === "hardlink" && e.hardlinkTo) {
      this.leadersB.set(e.path, e.hardlinkTo);
      // Same inode as its leader, whose content was checked when it came by.
      const lead = this.source.get(e.hardlinkTo);
      got = lead === undefined ? record(e) : lead.replace(SEEN, "");
    } else got = record(e);
    if (this.strip(got) === this.strip(want)) return;
    const a = fieldsOf(want);
    const b = fieldsOf(got);
    RECORD_FIELDS.forEach((f, i) => {
      const x = f === "xattrs" ? Object.keys(a[i] as object).join(",") || "none" : String(a[i]);
      const y = f === "xattrs" ? Object.keys(b[i] as object).join(",") || "none" : String(b[i]);
      if (JSON.stringify(a[i]) !== JSON.stringify(b[i]) && (f !== "xattrs" || this.options.xattrs))
        this.push(e.path, `${f}: source ${x}, target ${y}`);
    });
  };

  /** Nothing to release: everything is in memory. */
  close(): void {}

  /** Every difference, once the copy was read to its end. */
  finish(): Difference[] {
    for (const [p, r] of this.source) if (!r.startsWith(SEEN)) this.push(p, "missing in the target");
    const groups = (leaders: Map<string, string>) => {
      const members = new Map<string, string[]>();
      for (const [p, lead] of leaders) members.set(lead, [...(members.get(lead) ?? [lead]), p]);
      const out = new Map<string, string>();
      for (const list of members.values()) {
        const key = list.sort().join("\u0000");
        for (const p of list) out.set(p, key);
      }
      return out;
    };
    const a = groups(this.leadersA);
    const b = groups(this.leadersB);
    for (const p of new Set([...a.keys(), ...b.keys()]))
      if ((a.get(p) ?? "") !== (b.get(p) ?? "")) this.push(p, "hardlink group differs");
    return this.out;
  }
}
