// Reads what podlift needs from a Compose file: published host ports and bind mounts, with
// their line numbers. Syntax per the Compose specification:
// https://github.com/compose-spec/compose-spec/blob/main/05-services.md (ports, volumes)
import { stat } from "node:fs/promises";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import { UsageError } from "./errors.js";
import { readRegularFile, UnreadableFileError } from "./host/safe-read.js";

export interface ComposePort {
  service: string;
  hostPort: number;
  protocol: string;
  line: number;
}

export interface ComposeBind {
  service: string;
  source: string;
  target: string;
  /** Mount options such as z, Z, ro; for the long syntax, bind.selinux. */
  options: string[];
  /** Written in the long (mapping) syntax. */
  long: boolean;
  line: number;
}

export interface ComposeInfo {
  path: string;
  services: string[];
  ports: ComposePort[];
  binds: ComposeBind[];
}

/** A compose file podlift was pointed at that it cannot read or parse: exit 2. */
export class ComposeError extends UsageError {}

/** The largest compose file podlift reads: real projects are a few kB; this bounds time and memory. */
export const MAX_COMPOSE_BYTES = 4 * 1024 * 1024;

/**
 * A compose file's text through the bounded reader: null when it does not exist; a FIFO, device
 * or folder throws UnreadableFileError (never blocks); a file over MAX_COMPOSE_BYTES throws
 * ComposeError saying so. `shown`: the path to name (the host path under --root).
 */
export async function readComposeText(realPath: string, shown = realPath): Promise<string | null> {
  try {
    const bytes = await readRegularFile(realPath, { maxBytes: MAX_COMPOSE_BYTES, displayPath: shown });
    return bytes === null ? null : bytes.toString("utf8");
  } catch (error) {
    if (error instanceof UnreadableFileError && error.kind === "too-large") {
      const size = await stat(realPath).then(
        (s) => `${s.size} bytes`,
        () => `more than ${MAX_COMPOSE_BYTES} bytes`,
      );
      throw new ComposeError(
        `${shown} is ${size}; podlift reads compose files up to ${MAX_COMPOSE_BYTES} bytes`,
      );
    }
    throw error;
  }
}

export async function loadCompose(path: string): Promise<ComposeInfo> {
  let text: string | null;
  try {
    text = await readComposeText(path);
  } catch (error) {
    if (error instanceof ComposeError) throw error;
    throw new ComposeError(`cannot read compose file ${path}: ${(error as Error).message}`);
  }
  if (text === null) throw new ComposeError(`cannot read compose file ${path}: no such file`);
  return parseCompose(text, path);
}

/**
 * Keys that repeat in a mapping, in one pass over the document. yaml's own check (uniqueKeys)
 * compares each key with every key before it: quadratic in a mapping of 64k services.
 */
export function duplicateKeys(contents: unknown): Node[] {
  const out: Node[] = [];
  visit(contents as Node, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) out.push(pair.key as Node);
        seen.add(key);
      }
    },
  });
  return out;
}

export function parseCompose(text: string, path: string): ComposeInfo {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `${path}:${pos.line}:${pos.col}` : path;
    throw new ComposeError(`${where}: invalid YAML: ${first.message.split("\n")[0]}`);
  }
  const lineOf = (node: unknown) => {
    const range = (node as Node | undefined)?.range;
    return range ? lines.linePos(range[0]).line : 0;
  };
  const dup = duplicateKeys(doc.contents)[0];
  if (dup) throw new ComposeError(`${path}:${lineOf(dup)}: invalid YAML: Map keys must be unique`);
  const services = doc.get("services");
  if (!isMap(services)) throw new ComposeError(`${path}: no "services" mapping: is this a Compose file?`);
  const info: ComposeInfo = { path, services: [], ports: [], binds: [] };
  for (const pair of services.items) {
    const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
    info.services.push(name);
    if (!isMap(pair.value)) continue;
    const ports = pair.value.get("ports", true);
    if (isSeq(ports)) {
      for (const item of ports.items) {
        for (const p of publishedPorts(plain(item)))
          info.ports.push({ service: name, ...p, line: lineOf(item) });
      }
    }
    const volumes = pair.value.get("volumes", true);
    if (isSeq(volumes)) {
      for (const item of volumes.items) {
        const bind = bindMount(plain(item));
        if (bind) info.binds.push({ service: name, ...bind, line: lineOf(item) });
      }
    }
  }
  return info;
}

/**
 * The host ports a `ports:` entry publishes, from plain data: "[ip:]host:container[/proto]" (an
 * IPv6 ip is bracketed; ranges expand) or the long syntax. A container port alone publishes none.
 */
export function publishedPorts(item: unknown): { hostPort: number; protocol: string }[] {
  if (item && typeof item === "object") {
    const m = item as Record<string, unknown>;
    const protocol = String(m.protocol ?? "tcp");
    return m.published === undefined
      ? []
      : expandRange(String(m.published)).map((hostPort) => ({ hostPort, protocol }));
  }
  if (item === null || item === undefined) return [];
  const [spec, protocol = "tcp"] = String(item).split("/");
  const parts = (spec ?? "").replace(/^\[[^\]]*\]:/, "").split(":");
  if (parts.length < 2) return [];
  const host = parts.length === 3 ? parts[1] : parts[0];
  return expandRange(host ?? "").map((hostPort) => ({ hostPort, protocol }));
}

function plain(node: unknown): unknown {
  return isMap(node) || isSeq(node) || isScalar(node) ? node.toJSON() : node;
}

function expandRange(text: string): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) return [];
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : start;
  if (end < start || end - start > 1000) return [start];
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

/** A `volumes:` entry that is a bind mount, from plain data; null for named volumes. */
export function bindMount(item: unknown): Omit<ComposeBind, "service" | "line"> | null {
  if (item && typeof item === "object") {
    const m = item as Record<string, unknown>;
    if (m.type !== "bind") return null;
    const selinux = (m.bind as Record<string, unknown> | undefined)?.selinux;
    const options = [selinux, m.read_only === true ? "ro" : undefined].filter(
      (o): o is string => typeof o === "string",
    );
    return { source: String(m.source ?? ""), target: String(m.target ?? ""), options, long: true };
  }
  if (typeof item !== "string") return null;
  const [source, target, opts] = item.split(":");
  // A named volume has no slash or dot at the start; only host paths are bind mounts.
  if (target === undefined || source === undefined || !/^[./~$]/.test(source)) return null;
  return { source, target, options: opts ? opts.split(",") : [], long: false };
}
