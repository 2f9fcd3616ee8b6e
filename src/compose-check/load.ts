// A compose project as compose tools see it: file discovery in the working folder, `.env` and the
// environment for interpolation, and every value kept with its line and column.
// https://github.com/compose-spec/compose-spec/blob/main/12-interpolation.md
import { stat } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { MAX_COMPOSE_BYTES, readComposeText } from "../compose.js";
import type { Position } from "../engine/types.js";
import { readRegularFile } from "../host/safe-read.js";

export const CANDIDATES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

export type { Position };

export interface Problem {
  code: string;
  status: "warn" | "fail";
  message: string;
  at: Position;
}

export interface Loaded {
  /** The compose file as a path on the host being inspected (under --root, inside that root). */
  file: string;
  /** The file's text as read, which compose fix edits. */
  text: string;
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

/**
 * The compose file: the one given, else the first candidate that exists in `cwd`. Paths are
 * host paths, opened through `resolve`; nothing is opened here, so a FIFO cannot block it.
 */
export async function discover(cwd: string, given?: string, resolve: Resolve = asIs): Promise<string | null> {
  if (given) return path.resolve(cwd, given);
  for (const name of CANDIDATES) {
    const file = path.join(cwd, name);
    if (
      await stat(await resolve(file)).then(
        () => true,
        () => false,
      )
    )
      return file;
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

/** Positions by path, kept as offsets and turned into line and column only when asked for. */
export class Positions {
  private readonly offsets = new Map<string, number>();
  constructor(private readonly lines: LineCounter) {}
  set(key: string, offset: number): void {
    this.offsets.set(key, offset);
  }
  get(key: string): Position | undefined {
    const offset = this.offsets.get(key);
    return offset === undefined ? undefined : offset < 0 ? { line: 1, col: 1 } : this.lines.linePos(offset);
  }
  clear(): void {
    this.offsets.clear();
  }
}

/**
 * Reads the compose file and the .env beside it through the bounded reader (regular files only,
 * at most MAX_COMPOSE_BYTES: a FIFO, a device or an oversized file throws, never hangs) and
 * parses them. `file` is a host path; `resolve` maps it to the real one (under --root).
 */
export async function loadProject(
  file: string,
  processEnv: Record<string, string | undefined>,
  resolve: Resolve = asIs,
): Promise<Loaded> {
  const text = await readComposeText(await resolve(file), file);
  if (text === null) throw new ComposeMissing(`${file}: no such file`);
  const dotenvPath = path.join(path.dirname(file), ".env");
  const dotenv = await readRegularFile(await resolve(dotenvPath), {
    maxBytes: MAX_COMPOSE_BYTES,
    displayPath: dotenvPath,
  });
  return parseProject(file, text, dotenv?.toString("utf8") ?? "", processEnv);
}

/** The project from the compose file's text and its .env's: pure, linear in the text. */
export function parseProject(
  file: string,
  text: string,
  dotenvText: string,
  processEnv: Record<string, string | undefined>,
): Loaded {
  const dir = path.dirname(file);
  const env = { ...parseEnvFile(dotenvText), ...processEnv };
  const lines = new LineCounter();
  // Duplicate keys are found in the walk below, in one pass: yaml's own check is quadratic.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  const problems: Problem[] = [];
  const pos = (node: unknown): Position => {
    const range = (node as Node | undefined)?.range;
    return range ? lines.linePos(range[0]) : { line: 1, col: 1 };
  };
  for (const e of doc.errors) {
    const p = e.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push({
      code: "compose.yaml-invalid",
      status: "fail",
      message: `invalid YAML: ${e.message.split("\n")[0]}`,
      at: p,
    });
  }
  // One pass over the document: every value's and key's offset by path (no Position objects for
  // the many that no finding ever names), each map's keys checked for repeats.
  const positions = new Positions(lines);
  const offset = (node: unknown) => (node as Node | undefined)?.range?.[0] ?? -1;
  const walk = (node: unknown, at: string): unknown => {
    positions.set(at, offset(node));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const raw = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(raw)) duplicates.push(pos(pair.key));
        seen.add(raw);
        const key = String(raw);
        const child = at ? `${at}.${key}` : key;
        positions.set(`key:${child}`, offset(pair.key));
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
  const duplicates: Position[] = [];
  let data = (doc.errors.length === 0 ? walk(doc.contents, "") : {}) as Record<string, unknown>;
  if (duplicates.length > 0) {
    // As a YAML error: reported at each repeated key, and nothing else is checked.
    data = {};
    positions.clear();
    problems.length = 0;
    for (const at of duplicates)
      problems.push({
        code: "compose.yaml-invalid",
        status: "fail",
        message: "invalid YAML: Map keys must be unique",
        at,
      });
  }
  const project = String((data?.name as string | undefined) ?? path.basename(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "");
  return { file, text, project, data: data ?? {}, positions, problems };
}
