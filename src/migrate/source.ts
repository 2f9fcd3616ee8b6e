// Where a volume's bytes come from. On the engine's own host, as root, podlift reads the volume
// folder with GNU tar: the Docker API's archive carries only the security.capability xattr
// (found by this project's tests), and tar reads faster. For a remote engine, or a folder podlift
// cannot read, the engine's archive endpoint serves the same tar format, minus other xattrs.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { collectStdout, describeExit, spawnPiped } from "../host/piped.js";
import type { WritableHost } from "../host/types.js";
import { DIRECT_MAX, directCandidate } from "./direct.js";
import type { DockerClient, DockerVolume } from "./docker.js";
import { PodmanTarget } from "./podman.js";
import { ManifestBuilder } from "./tar-manifest.js";

export interface Source {
  kind: "local-folder" | "engine-api";
  stream: Readable;
  /** After the stream ended: why it is not the whole volume, or null when it is. */
  finish(): Promise<string | null>;
  close(): Promise<void>;
  notes: string[];
}

export type Via = "auto" | "engine-api";

/**
 * Whether the volume is read from its folder on this host (root, a local engine, a live host,
 * the mountpoint a folder) rather than through the engine.
 */
async function readsLocally(docker: DockerClient, host: WritableHost, volume: DockerVolume, via: Via) {
  return (
    via === "auto" &&
    docker.isLocal &&
    host.isLive &&
    host.currentUser().uid === 0 &&
    (await host.stat(volume.Mountpoint))?.type === "dir"
  );
}

export async function openSource(
  docker: DockerClient,
  host: WritableHost,
  volume: DockerVolume,
  via: Via,
  signal?: AbortSignal,
): Promise<Source> {
  const local = await readsLocally(docker, host, volume, via);
  if (local) {
    const tar = host.spawn(PodmanTarget.archiveArgv(volume.Mountpoint), { signal });
    tar.stdin.end();
    return {
      kind: "local-folder",
      stream: tar.stdout,
      async finish() {
        const r = await tar.result;
        return r.exitCode === 0
          ? null
          : `reading ${volume.Mountpoint} failed (tar exit ${r.exitCode}): ${r.stderr.trim().split("\n").slice(-2).join(" ")}`;
      },
      async close() {
        tar.kill();
        await tar.result;
      },
      notes: [],
    };
  }
  const helper = await docker.createHelper(volume.Name);
  try {
    const archive = await docker.archive(helper, signal);
    if ((archive.statusCode ?? 500) >= 300)
      throw new Error(`Docker refused the archive: HTTP ${archive.statusCode}`);
    let aborted = false;
    archive.on("aborted", () => {
      aborted = true;
    });
    return {
      kind: "engine-api",
      stream: archive,
      async finish() {
        if (aborted) return "the Docker engine closed the stream mid-volume";
        return archive.complete ? null : "the Docker engine ended the stream early";
      },
      close: () => docker.removeContainer(helper).then(() => undefined),
      notes: [
        "read through the Docker API, which carries no extended attributes but security.capability, and no holes: sparse files arrive fully allocated",
      ],
    };
  } catch (error) {
    await docker.removeContainer(helper);
    throw error;
  }
}

/** A bounded list of paths with a count of all of them. */
export interface Found {
  paths: string[];
  count: number;
}

/** What a walk of the source found before anything moves. */
export interface Preflight {
  /** "walk:<sha256>" or "tar:<sha256>" of the metadata of every entry, in the order read. */
  digest: string;
  entries: number;
  /** Bytes the copy needs on the target (allocated blocks for a walk, sizes for a tar). */
  bytes: number;
  maxUid: number;
  maxGid: number;
  longPaths: Found;
  sockets: Found;
  devices: Found;
  sparse: Found;
  /** Owners (and ACL entries) outside the given id limits, with the ids. */
  highIds: Found;
  aclIds: Found;
  trusted: Found;
  highestAclId: number;
  /** Large plain files (relative paths) verification compares where they lie, not through tar. */
  direct?: string[];
}

const SHOWN = 10;
/** Paths longer than this (as "./path") fail in tar -x with "File name too long" (PATH_MAX 4096). */
export const MAX_PATH_BYTES = 4095;

function found(): Found {
  return { paths: [], count: 0 };
}
function add(f: Found, what: string): void {
  f.count++;
  if (f.paths.length < SHOWN) f.paths.push(JSON.stringify(what).slice(1, -1));
}

/** "a, b (and 3 more)": a bounded list for a message. */
export function listed(f: Found): string {
  return `${f.paths.join(", ")}${f.count > f.paths.length ? ` (and ${f.count - f.paths.length} more)` : ""}`;
}

function emptyPreflight(kind: string): Preflight & { hash: ReturnType<typeof createHash>; kind: string } {
  return {
    kind,
    hash: createHash("sha256"),
    digest: "",
    entries: 0,
    bytes: 0,
    maxUid: 0,
    maxGid: 0,
    longPaths: found(),
    sockets: found(),
    devices: found(),
    sparse: found(),
    highIds: found(),
    aclIds: found(),
    trusted: found(),
    highestAclId: 0,
  };
}

/**
 * Walks the source without reading file contents: `find` for every entry's type, owner, mode,
 * size, allocated blocks, mtime and link target; `getfattr` for trusted.* xattrs and ACLs when the
 * target is rootless. Through the engine API (no folder to walk) it reads the tar headers.
 */
export async function preflight(
  docker: DockerClient,
  host: WritableHost,
  volume: DockerVolume,
  via: Via,
  limits: { uid: number; gid: number } | null,
  signal?: AbortSignal,
): Promise<Preflight> {
  const local = await readsLocally(docker, host, volume, via);
  const p = local
    ? await walkFolder(volume.Mountpoint, limits, signal)
    : await scanTar(docker, host, volume, via, limits);
  p.digest = `${p.kind}:${p.hash.digest("hex")}`;
  const { hash: _h, kind: _k, ...rest } = p;
  return rest;
}

function checkIds(
  p: ReturnType<typeof emptyPreflight>,
  path: string,
  uid: number,
  gid: number,
  limits: { uid: number; gid: number } | null,
) {
  p.maxUid = Math.max(p.maxUid, uid);
  p.maxGid = Math.max(p.maxGid, gid);
  if (limits && (uid > limits.uid || gid > limits.gid)) add(p.highIds, `${path} (uid ${uid}, gid ${gid})`);
}

async function walkFolder(dir: string, limits: { uid: number; gid: number } | null, signal?: AbortSignal) {
  const p = emptyPreflight("walk");
  const find = spawnPiped({
    // %C@ (the change time) too: a write that keeps the size and puts the mtime back (touch -r,
    // tar -x, rsync -t) still moves it, so "unchanged since" cannot be faked from user space.
    // %n (links) last, and not in the digest: which files verification may compare directly.
    argv: ["find", dir, "-printf", "%y\\0%U\\0%G\\0%m\\0%s\\0%b\\0%T@\\0%C@\\0%P\\0%l\\0%n\\0"],
    stdin: "ignore",
    stdout: "pipe",
    signal,
  });
  let pending = Buffer.alloc(0);
  const fields: Buffer[] = [];
  const direct: string[] = [];
  p.direct = direct;
  const record = (f: Buffer[]) => {
    const [type, uidB, gidB, mode, sizeB, blocksB, mtime, ctime, rel, link, links] = f.map((b) =>
      b.toString("latin1"),
    ) as string[];
    // Entry metadata, not allocation: the digest says whether the volume changed since.
    for (const b of [type, uidB, gidB, mode, sizeB, mtime, ctime, rel, link])
      p.hash.update(`${b}\0`, "latin1");
    const path = rel === "" ? "." : (rel as string);
    const uid = Number(uidB);
    const gid = Number(gidB);
    const size = Number(sizeB);
    const allocated = Number(blocksB) * 512;
    p.entries++;
    p.bytes += Math.max(allocated, type === "d" ? 4096 : 0);
    if (Buffer.byteLength(`./${path}`, "latin1") > MAX_PATH_BYTES) add(p.longPaths, path);
    if (type === "s") add(p.sockets, path);
    if (type === "b" || type === "c") add(p.devices, path);
    if (type === "f" && size > 0 && allocated < size) add(p.sparse, path);
    if (
      direct.length < DIRECT_MAX &&
      directCandidate(type as string, rel as string, size, allocated, Number(links))
    )
      direct.push(rel as string);
    checkIds(p, path, uid, gid, limits);
  };
  find.stdout?.on("data", (chunk: Buffer) => {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let nul = buf.indexOf(0);
    while (nul !== -1) {
      fields.push(buf.subarray(0, nul));
      if (fields.length === 11) record(fields.splice(0));
      buf = buf.subarray(nul + 1);
      nul = buf.indexOf(0);
    }
    pending = Buffer.from(buf);
  });
  const exit = await find.exited;
  if (exit.code !== 0)
    throw new Error(
      `walking ${dir} failed (${describeExit(exit)}): ${exit.stderrLines.slice(0, 3).join(" ")}`,
    );
  if (limits) await walkXattrs(dir, p, limits, signal);
  return p;
}

/** trusted.* xattrs (a rootless user cannot set them) and ACL entries naming ids it cannot map. */
async function walkXattrs(
  dir: string,
  p: ReturnType<typeof emptyPreflight>,
  limits: { uid: number; gid: number },
  signal?: AbortSignal,
) {
  const { stdout, exit } = await collectStdout(
    [
      "getfattr",
      "-R",
      "-P",
      "--absolute-names",
      "-d",
      "-e",
      "hex",
      "-m",
      "^(trusted\\.|system\\.posix_acl_)",
      dir,
    ],
    signal,
  );
  if (exit.code !== 0 && exit.code !== 1)
    throw new Error(`reading xattrs under ${dir} failed: ${exit.stderrLines[0] ?? describeExit(exit)}`);
  let file = "";
  const seenTrusted = new Set<string>();
  for (const line of stdout.toString("latin1").split("\n")) {
    if (line.startsWith("# file: ")) {
      const abs = unescapeGetfattr(line.slice(8));
      file = abs === dir ? "." : abs.startsWith(`${dir}/`) ? abs.slice(dir.length + 1) : abs;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const name = line.slice(0, eq);
    if (name.startsWith("trusted.")) {
      if (!seenTrusted.has(file)) add(p.trusted, `${file} (${name})`);
      seenTrusted.add(file);
    } else if (name.startsWith("system.posix_acl_")) {
      const value = Buffer.from(line.slice(eq + 1).replace(/^0x/, ""), "hex");
      const bad: string[] = [];
      // posix_acl_xattr: u32 version, then entries of u16 tag, u16 perm, u32 id (little endian).
      for (let i = 4; i + 8 <= value.length; i += 8) {
        const tag = value.readUInt16LE(i);
        const id = value.readUInt32LE(i + 4);
        if (tag === 0x02 && id > limits.uid) bad.push(`user ${id}`);
        if (tag === 0x08 && id > limits.gid) bad.push(`group ${id}`);
        if (tag === 0x02 || tag === 0x08) p.highestAclId = Math.max(p.highestAclId, id);
      }
      if (bad.length) add(p.aclIds, `${file} (ACL ${bad.join(", ")})`);
    }
  }
}

/** getfattr writes names with octal escapes (\012) and a doubled backslash. */
function unescapeGetfattr(text: string): string {
  return text.replace(/\\([0-7]{3}|\\)/g, (_m, code: string) =>
    code === "\\" ? "\\" : String.fromCharCode(Number.parseInt(code, 8)),
  );
}

async function scanTar(
  docker: DockerClient,
  host: WritableHost,
  volume: DockerVolume,
  via: Via,
  limits: { uid: number; gid: number } | null,
) {
  const p = emptyPreflight("tar");
  const source = await openSource(docker, host, volume, via);
  try {
    const scan = new ManifestBuilder(false, {
      store: false,
      onEntry: (e) => {
        p.hash.update(
          `${e.type}\0${e.uid}\0${e.gid}\0${e.mode}\0${e.size}\0${e.mtime}\0${e.path}\0${e.linkTarget ?? ""}\0`,
          "latin1",
        );
        p.entries++;
        p.bytes += e.size + 512;
        if (Buffer.byteLength(`./${e.path}`, "latin1") > MAX_PATH_BYTES) add(p.longPaths, e.path);
        if (e.type === "char" || e.type === "block") add(p.devices, e.path);
        checkIds(p, e.path, e.uid, e.gid, limits);
      },
    });
    await pipeline(source.stream, scan);
    const incomplete = await source.finish();
    if (incomplete) throw new Error(incomplete);
    return p;
  } finally {
    await source.close();
  }
}
