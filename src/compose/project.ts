// The one compose reader: a project as compose tools see it, for the doctor, the compose rules
// and migration. File discovery in the working folder (with compose.override.yaml), several -f
// files merged the way Compose merges them (merge.ts), `.env` or --env-file and the environment
// for interpolation, and every value kept with its file, line and column.
// https://github.com/compose-spec/compose-spec/blob/main/12-interpolation.md
import { stat } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Position } from "../doctor/types.js";
import { readRegularFile } from "../host/safe-read.js";
import { mergeInto, type Remap } from "./merge.js";
import { ComposeError, MAX_COMPOSE_BYTES, readComposeText } from "./read.js";

export const CANDIDATES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];
/** Merged over the discovered file when no file is named, as Compose does. */
export const OVERRIDES = [
  "compose.override.yaml",
  "compose.override.yml",
  "docker-compose.override.yaml",
  "docker-compose.override.yml",
];
/** The most files one project merges (-f repeated). */
export const MAX_FILES = 32;

export type { Position };

export interface Problem {
  code: string;
  status: "warn" | "fail";
  message: string;
  at: Position;
}

export interface Source {
  /** A host path (under --root, inside that root). */
  file: string;
  text: string;
}

export interface Loaded {
  /** The (first) compose file as a path on the host being inspected (under --root, inside that root). */
  file: string;
  /** The first file's text as read, which compose fix edits. */
  text: string;
  /** Every file in merge order, the first one first; a position names its file when not the first. */
  sources: Source[];
  project: string;
  /** The document as plain data, after interpolation. */
  data: Record<string, unknown>;
  /** Where a value sits: path segments joined by "." -> position ("key:" + path: its key's). */
  positions: Positions;
  problems: Problem[];
}

/** Maps a host path to the real path to open: under --root, inside that root. */
export type Resolve = (hostPath: string) => Promise<string>;
const asIs: Resolve = async (p) => p;

/** The override file beside `file` that Compose merges over it when no file is named, if any. */
export async function discoverOverride(file: string, resolve: Resolve = asIs): Promise<string | null> {
  for (const name of OVERRIDES) {
    const candidate = path.join(path.dirname(file), name);
    if (await exists(candidate, resolve)) return candidate;
  }
  return null;
}

async function exists(file: string, resolve: Resolve): Promise<boolean> {
  return stat(await resolve(file)).then(
    () => true,
    () => false,
  );
}

/**
 * The compose file: the one given, else the first candidate that exists in `cwd`. Paths are
 * host paths, opened through `resolve`; nothing is opened here, so a FIFO cannot block it.
 */
export async function discover(cwd: string, given?: string, resolve: Resolve = asIs): Promise<string | null> {
  if (given) return path.resolve(cwd, given);
  for (const name of CANDIDATES) {
    const file = path.join(cwd, name);
    if (await exists(file, resolve)) return file;
  }
  return null;
}

/**
 * The compose file as a path on the host being inspected. Under --root, a path that lies inside
 * the root (the folder you stand in, or a path you name) is taken inside it; any other path is
 * read as that host's own path (/srv/app/compose.yaml is <root>/srv/app/compose.yaml).
 */
export function composeHostPath(root: string, cwd: string, given: string): string {
  const abs = path.resolve(cwd, given);
  if (root === "/") return abs;
  const rel = path.relative(root, abs);
  if (rel === "") return "/";
  return rel.startsWith("..") || path.isAbsolute(rel) ? abs : `/${rel.split(path.sep).join("/")}`;
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2] as string;
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, "");
    out[m[1] as string] = value;
  }
  return out;
}

/** ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR and $$. */
export function interpolate(
  text: string,
  env: Record<string, string | undefined>,
  report: (name: string, required: string | null) => void,
): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced, colon, op, arg, bare) => {
      if (match === "$$") return "$";
      const name = (braced ?? bare) as string;
      const value = env[name];
      const unset = value === undefined || (colon === ":" && value === "");
      if (!unset) return value as string;
      if (op === "-") return arg as string;
      report(name, op === "?" ? (arg as string) || "required" : null);
      return "";
    },
  );
}

export class ComposeMissing extends Error {}

/**
 * Positions by path, kept as offsets (with the index of the file they are in) and turned into
 * line and column only when asked for: most values are never named by a finding.
 */
export class Positions {
  private offsets = new Map<string, number>();
  constructor(
    private readonly lines: LineCounter[],
    private readonly files: string[] = [],
  ) {}
  /** `offset` -1: the position is unknown (1:1). */
  set(key: string, offset: number, fileIndex = 0): void {
    this.offsets.set(key, offset < 0 ? -1 : offset * MAX_FILES + fileIndex);
  }
  get(key: string): Position | undefined {
    const code = this.offsets.get(key);
    if (code === undefined) return undefined;
    if (code < 0) return { line: 1, col: 1 };
    const index = code % MAX_FILES;
    const at = (this.lines[index] as LineCounter).linePos(Math.floor(code / MAX_FILES));
    return index === 0 ? at : { ...at, file: this.files[index] };
  }
  clear(): void {
    this.offsets.clear();
  }
  /** Takes over another file's positions, each key renamed as the merge moved its value. */
  adopt(other: Positions, rename: (key: string) => string): void {
    for (const [key, code] of other.offsets) this.offsets.set(rename(key), code);
  }
}

export interface LoadOptions {
  /** Read instead of the `.env` beside the first file (compose's --env-file). */
  envFile?: string;
}

/**
 * Reads the compose files and the .env beside the first (or --env-file) through the bounded
 * reader (regular files only, at most MAX_COMPOSE_BYTES: a FIFO, a device or an oversized file
 * throws, never hangs) and parses them; several files are merged in order. `files` are host
 * paths; `resolve` maps each to the real one (under --root).
 */
export async function loadProject(
  files: string | string[],
  processEnv: Record<string, string | undefined>,
  resolve: Resolve = asIs,
  options: LoadOptions = {},
): Promise<Loaded> {
  const list = typeof files === "string" ? [files] : files;
  if (list.length === 0 || list.length > MAX_FILES)
    throw new ComposeError(`a project is 1 to ${MAX_FILES} compose files, not ${list.length}`);
  if (new Set(list).size !== list.length) throw new ComposeError("the same compose file is named twice");
  const sources: Source[] = [];
  for (const file of list) {
    const text = await readComposeText(await resolve(file), file);
    if (text === null) throw new ComposeMissing(`${file}: no such file`);
    sources.push({ file, text });
  }
  const dotenvPath = options.envFile ?? path.join(path.dirname(list[0] as string), ".env");
  const dotenv = await readRegularFile(await resolve(dotenvPath), {
    maxBytes: MAX_COMPOSE_BYTES,
    displayPath: dotenvPath,
  });
  if (dotenv === null && options.envFile !== undefined)
    throw new ComposeMissing(`${options.envFile}: no such file`);
  return parseSources(sources, dotenv?.toString("utf8") ?? "", processEnv);
}

/** The project from one compose file's text and its .env's: pure, linear in the text. */
export function parseProject(
  file: string,
  text: string,
  dotenvText: string,
  processEnv: Record<string, string | undefined>,
): Loaded {
  return parseSources([{ file, text }], dotenvText, processEnv);
}

/**
 * Several files merged in order (merge.ts), each parsed on its own first: a YAML error in any
 * of them is reported at its place, and then nothing else is checked.
 */
export function parseSources(
  sources: Source[],
  dotenvText: string,
  processEnv: Record<string, string | undefined>,
): Loaded {
  const first = sources[0] as Source;
  const env = { ...parseEnvFile(dotenvText), ...processEnv };
  const lines = sources.map(() => new LineCounter());
  const names = sources.map((s) => s.file);
  const positions = new Positions(lines, names);
  const problems: Problem[] = [];
  let data: Record<string, unknown> = {};
  let invalid = false;
  sources.forEach((source, i) => {
    const own = i === 0 ? positions : new Positions(lines, names);
    const parsed = parseOne(source.text, env, lines[i] as LineCounter, own, i, names);
    problems.push(...parsed.problems);
    invalid ||= parsed.invalid;
    if (invalid) return;
    if (i === 0) {
      data = parsed.data;
      return;
    }
    const remap: Remap = new Map();
    data = mergeInto(data, parsed.data, remap) as Record<string, unknown>;
    positions.adopt(own, (key) => renameKey(key, remap));
  });
  if (invalid) {
    // As a YAML error: reported where it is, and nothing else is checked.
    data = {};
    positions.clear();
    for (let i = problems.length - 1; i >= 0; i--)
      if (problems[i]?.code !== "compose.yaml-invalid") problems.splice(i, 1);
  }
  const dir = path.dirname(first.file);
  const project = String((data?.name as string | undefined) ?? path.basename(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "");
  return { file: first.file, text: first.text, sources, project, data: data ?? {}, positions, problems };
}

/** A key of an override file as the merged document has it: list indices move as lists merge. */
function renameKey(key: string, remap: Remap): string {
  if (remap.size === 0) return key;
  const isKey = key.startsWith("key:");
  const segments = (isKey ? key.slice(4) : key).split(".");
  let from = "";
  const to: string[] = [];
  for (const segment of segments) {
    to.push(remap.get(from)?.get(segment) ?? segment);
    from = from === "" ? segment : `${from}.${segment}`;
  }
  return `${isKey ? "key:" : ""}${to.join(".")}`;
}

function parseOne(
  text: string,
  env: Record<string, string | undefined>,
  lines: LineCounter,
  positions: Positions,
  fileIndex: number,
  names: string[],
): { data: Record<string, unknown>; problems: Problem[]; invalid: boolean } {
  // Duplicate keys are found in the walk below, in one pass: yaml's own check is quadratic.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  const problems: Problem[] = [];
  const place = (p: Position): Position => (fileIndex === 0 ? p : { ...p, file: names[fileIndex] });
  const pos = (node: unknown): Position => {
    const range = (node as Node | undefined)?.range;
    return place(range ? lines.linePos(range[0]) : { line: 1, col: 1 });
  };
  for (const e of doc.errors) {
    const p = e.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push({
      code: "compose.yaml-invalid",
      status: "fail",
      message: `invalid YAML: ${e.message.split("\n")[0]}`,
      at: place(p),
    });
  }
  if (doc.errors.length > 0) return { data: {}, problems, invalid: true };
  // One pass over the document: every value's and key's offset by path (no Position objects for
  // the many that no finding ever names), each map's keys checked for repeats.
  const offset = (node: unknown) => (node as Node | undefined)?.range?.[0] ?? -1;
  const duplicates: Position[] = [];
  const walk = (node: unknown, at: string): unknown => {
    positions.set(at, offset(node), fileIndex);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const raw = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(raw)) duplicates.push(pos(pair.key));
        seen.add(raw);
        const key = String(raw);
        const child = at ? `${at}.${key}` : key;
        positions.set(`key:${child}`, offset(pair.key), fileIndex);
        out[key] = walk(pair.value, child);
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => walk(item, `${at}.${i}`));
    if (isScalar(node)) {
      if (typeof node.value !== "string") return node.value;
      if (!node.value.includes("$")) return node.value;
      return interpolate(node.value, env, (name, required) =>
        problems.push({
          code: required ? "compose.var-required" : "compose.var-missing",
          status: required ? "fail" : "warn",
          message: required
            ? `variable ${name} is not set (${required})`
            : `variable ${name} is not set (in the environment or .env): it becomes an empty string`,
          at: pos(node),
        }),
      );
    }
    return node === null || node === undefined ? null : node;
  };
  const walked = walk(doc.contents, "");
  if (duplicates.length > 0)
    return {
      data: {},
      invalid: true,
      problems: duplicates.map((at) => ({
        code: "compose.yaml-invalid",
        status: "fail",
        message: "invalid YAML: Map keys must be unique",
        at,
      })),
    };
  const data = walked && typeof walked === "object" && !Array.isArray(walked) ? walked : {};
  return { data: data as Record<string, unknown>, problems, invalid: false };
}

/**
 * The project for a command that only reads it (the doctor's --compose, migrate --compose): a
 * missing or unreadable file or broken YAML is a ComposeError (exit 2), with its place.
 */
export async function loadValidProject(
  files: string | string[],
  processEnv: Record<string, string | undefined>,
  resolve: Resolve = asIs,
): Promise<Loaded> {
  const first = typeof files === "string" ? files : (files[0] ?? "");
  const project = await loadProject(files, processEnv, resolve).catch((error: Error) => {
    if (error instanceof ComposeError) throw error;
    if (error instanceof ComposeMissing) throw new ComposeError(`cannot read compose file ${error.message}`);
    throw new ComposeError(`cannot read compose file ${first}: ${error.message}`);
  });
  const invalid = project.problems.find((p) => p.code === "compose.yaml-invalid");
  if (invalid)
    throw new ComposeError(
      `${invalid.at.file ?? project.file}:${invalid.at.line}:${invalid.at.col}: ${invalid.message}`,
    );
  return project;
}
