// Writes a support bundle: every collector's output, redacted before it is written, into one
// .tar.gz (mode 0600) with a manifest of what each file is, where it came from, and what was
// redacted (rule and count, never the secret). Obfuscation's mapping stays beside it, on the host.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import tar from "tar-stream";
import { writeFileAtomic } from "../host/atomic.js";
import type { Host } from "../host/types.js";
import type { Redactor } from "../text/redact.js";
import { type Collector, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS } from "./collectors.js";

export interface ManifestFile {
  file: string;
  collector: string;
  command?: string;
  exitCode?: number | null;
  durationMs: number;
  size: number;
  sha256: string;
  truncated: boolean;
  error?: string;
  redactions: Record<string, number>;
}

export interface BundleManifest {
  schemaVersion: 1;
  tool: string;
  createdAt: string;
  obfuscated: boolean;
  files: ManifestFile[];
  /** Collectors that produced nothing: absent files, failed or timed-out commands. */
  missing: { collector: string; error: string; durationMs: number }[];
  redactions: Record<string, number>;
}

interface Collected {
  collector: Collector;
  content: string | null;
  exitCode?: number | null;
  durationMs: number;
  truncated: boolean;
  error?: string;
}

async function collect(host: Host, c: Collector): Promise<Collected> {
  const started = performance.now();
  const max = c.maxBytes ?? DEFAULT_MAX_BYTES;
  const took = () => Math.round(performance.now() - started);
  try {
    let content: string | null = null;
    let exitCode: number | null | undefined;
    let error: string | undefined;
    if (c.produce) content = await c.produce();
    else if (c.argv) {
      const r = await host.run(c.argv, {
        timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        user: c.user,
        env: c.env,
      });
      exitCode = r.exitCode;
      if (r.notFound || r.failedToStart) error = r.failedToStart ?? "not installed";
      else if (r.timedOut) error = `timed out after ${c.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
      else if (r.exitCode !== 0)
        error = `exit ${r.exitCode}: ${r.stderr.trim().split("\n").slice(-3).join(" ")}`;
      content =
        r.stdout || (r.exitCode !== 0 && r.stderr ? `# ${c.argv.join(" ")} failed\n${r.stderr}` : r.stdout);
      if (r.notFound || r.timedOut || (error && !content)) content = null;
    } else if (c.paths) {
      const parts: string[] = [];
      for (const p of c.paths) {
        const files = p.endsWith("/") ? ((await host.listDir(p)) ?? []).map((n) => `${p}${n}`) : [p];
        for (const f of files) {
          const text = await host.readFile(f);
          if (text === null) continue;
          const kept = c.linesStartingWith
            ? text
                .split("\n")
                .filter((l) => c.linesStartingWith?.some((s) => l.startsWith(s)))
                .join("\n")
            : text;
          parts.push(`==> ${f} <==\n${kept}`);
        }
      }
      content = parts.length > 0 ? parts.join("\n\n") : null;
      if (content === null) error = "not present on this host";
    }
    const truncated = content !== null && Buffer.byteLength(content) > max;
    if (truncated && content !== null)
      content = `${Buffer.from(content).subarray(0, max).toString("utf8")}\n[truncated by podlift at ${max} bytes]\n`;
    return { collector: c, content, exitCode, durationMs: took(), truncated, error };
  } catch (error) {
    return {
      collector: c,
      content: null,
      durationMs: took(),
      truncated: false,
      error: (error as Error).message,
    };
  }
}

/** Runs a few collectors at a time; each has its own timeout, so the whole is bounded. */
export async function collectAll(host: Host, list: Collector[], width = 4): Promise<Collected[]> {
  const out: Collected[] = new Array(list.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < list.length) {
        const i = next++;
        out[i] = await collect(host, list[i] as Collector);
      }
    }),
  );
  return out;
}

export interface Entry {
  file: string;
  content: string;
  meta: Omit<ManifestFile, "file" | "size" | "sha256" | "redactions">;
}

/** Redacts and writes the archive atomically with mode 0600; returns its manifest. */
export async function writeBundle(
  output: string,
  prefix: string,
  entries: Entry[],
  missing: BundleManifest["missing"],
  redactor: Redactor,
  tool: string,
): Promise<BundleManifest> {
  const manifest: BundleManifest = {
    schemaVersion: 1,
    tool,
    createdAt: new Date().toISOString(),
    obfuscated: redactor.mapping.size > 0,
    files: [],
    missing,
    redactions: {},
  };
  const pack = tar.pack();
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on("data", (c: Buffer) => chunks.push(c));
  const done = pipeline(pack, gzip);
  try {
    for (const e of entries) {
      const { text, counts } = redactor.text(e.content);
      const bytes = Buffer.from(text);
      pack.entry({ name: `${prefix}/${e.file}`, mode: 0o644, mtime: new Date() }, bytes);
      manifest.files.push({
        file: e.file,
        ...e.meta,
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        redactions: counts,
      });
    }
    manifest.redactions = redactor.totals();
    manifest.obfuscated = redactor.mapping.size > 0;
    // Commands and errors name users, paths and sometimes secrets: they pass the same rules.
    const clean = (s: string | undefined) => (s === undefined ? undefined : redactor.text(s).text);
    for (const f of manifest.files) Object.assign(f, { command: clean(f.command), error: clean(f.error) });
    for (const m of manifest.missing) m.error = clean(m.error) as string;
    pack.entry(
      { name: `${prefix}/manifest.json`, mode: 0o644, mtime: new Date() },
      `${JSON.stringify(manifest, null, 2)}\n`,
    );
    pack.finalize();
    await done;
  } catch (error) {
    pack.destroy();
    throw error;
  }
  // Collectors are capped, so the archive is built in memory and then written by the one writer:
  // atomically over a regular file (always 0600: it describes the host), through a device or FIFO.
  // Owned by whoever ran podlift, whoever owned a file already there: a bundle describes the host.
  const me = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  await writeFileAtomic(output, Buffer.concat(chunks), { mode: 0o600, forceMode: true, owner: me });
  if (redactor.mapping.size > 0) {
    await writeFileAtomic(
      `${output}.mapping.json`,
      `${JSON.stringify(Object.fromEntries(redactor.mapping), null, 2)}\n`,
      { mode: 0o600 },
    );
  }
  return manifest;
}

export function entriesFrom(collected: Collected[]): {
  entries: Entry[];
  missing: BundleManifest["missing"];
} {
  const entries: Entry[] = [];
  const missing: BundleManifest["missing"] = [];
  for (const c of collected) {
    const command = c.collector.argv
      ? `${c.collector.user ? `(as ${c.collector.user}) ` : ""}${c.collector.argv.join(" ")}`
      : undefined;
    if (c.content === null) {
      missing.push({ collector: c.collector.file, error: c.error ?? "no output", durationMs: c.durationMs });
      continue;
    }
    entries.push({
      file: c.collector.file,
      content: c.content,
      meta: {
        collector: c.collector.argv ? "command" : c.collector.paths ? "files" : "podlift",
        command,
        exitCode: c.exitCode,
        durationMs: c.durationMs,
        truncated: c.truncated,
        ...(c.error ? { error: c.error } : {}),
      },
    });
  }
  return { entries, missing };
}

/** Reads an existing bundle back: its files (without the manifest) and the manifest. */
export async function readBundle(
  archive: string,
): Promise<{ prefix: string; entries: Entry[]; manifest: BundleManifest }> {
  const extract = tar.extract();
  const files = new Map<string, string>();
  let prefix = "";
  extract.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      const [top, ...rest] = header.name.split("/");
      prefix = top ?? prefix;
      files.set(rest.join("/"), Buffer.concat(chunks).toString("utf8"));
      next();
    });
    stream.resume();
  });
  await pipeline(createReadStream(archive), createGunzip(), extract);
  const manifestText = files.get("manifest.json");
  if (!manifestText) throw new Error(`${archive} is not a podlift bundle (no manifest.json)`);
  const manifest = JSON.parse(manifestText) as BundleManifest;
  const entries = manifest.files.map((f) => {
    const { size: _s, sha256: _h, redactions: _r, file, ...meta } = f;
    return { file, content: files.get(file) ?? "", meta };
  });
  return { prefix, entries, manifest };
}
