// A compose project as compose tools see it: file discovery in the working folder, `.env` and the
// environment for interpolation, and every value kept with its line and column.
// https://github.com/compose-spec/compose-spec/blob/main/12-interpolation.md
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

export const CANDIDATES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

export interface Position {
  line: number;
  col: number;
}

export interface Problem {
  code: string;
  status: "warn" | "fail";
  message: string;
  at: Position;
}

export interface Loaded {
  file: string;
  project: string;
  /** The document as plain data, after interpolation. */
  data: Record<string, unknown>;
  /** Where a value sits: path segments joined by "." -> position. */
  positions: Map<string, Position>;
  problems: Problem[];
}

export async function discover(cwd: string, given?: string): Promise<string | null> {
  if (given) return path.resolve(cwd, given);
  for (const name of CANDIDATES) {
    const file = path.join(cwd, name);
    if (
      await readFile(file).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return null;
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

export async function loadProject(
  file: string,
  processEnv: Record<string, string | undefined>,
): Promise<Loaded> {
  const text = await readFile(file, "utf8");
  const dir = path.dirname(file);
  const dotenv = parseEnvFile(await readFile(path.join(dir, ".env"), "utf8").catch(() => ""));
  const env = { ...dotenv, ...processEnv };
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
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
  const positions = new Map<string, Position>();
  const walk = (node: unknown, at: string): unknown => {
    positions.set(at, pos(node));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        positions.set(`key:${at ? `${at}.${key}` : key}`, pos(pair.key));
        out[key] = walk(pair.value, at ? `${at}.${key}` : key);
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => walk(item, `${at}.${i}`));
    if (isScalar(node)) {
      if (typeof node.value !== "string") return node.value;
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
  const data = (doc.errors.length === 0 ? walk(doc.contents, "") : {}) as Record<string, unknown>;
  const project = String((data?.name as string | undefined) ?? path.basename(dir))
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "");
  return { file, project, data: data ?? {}, positions, problems };
}
