// What the doctor and the fixes need from a compose project: published host ports and bind
// mounts with their lines, read from the one project reader (project.ts). Syntax per the
// Compose specification: https://github.com/compose-spec/compose-spec/blob/main/05-services.md
import { type Loaded, parseProject } from "./project.js";
import { ComposeError } from "./read.js";

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

/**
 * The ports and bind mounts of a compose file's text, for the doctor's --compose and the fixes:
 * the first YAML error, a repeated key or a file without services throws ComposeError.
 */
export function parseCompose(
  text: string,
  path: string,
  env: Record<string, string | undefined> = {},
): ComposeInfo {
  const loaded = parseProject(path, text, "", env);
  const invalid = loaded.problems.find((p) => p.code === "compose.yaml-invalid");
  if (invalid) {
    const where = invalid.message.endsWith("Map keys must be unique")
      ? `${path}:${invalid.at.line}`
      : `${path}:${invalid.at.line}:${invalid.at.col}`;
    throw new ComposeError(`${where}: ${invalid.message}`);
  }
  return composeInfo(loaded);
}

/** Ports and binds of a loaded project (several files merged, interpolated). */
export function composeInfo(p: Loaded): ComposeInfo {
  const services = p.data.services;
  if (!services || typeof services !== "object" || Array.isArray(services))
    throw new ComposeError(`${p.file}: no "services" mapping: is this a Compose file?`);
  const info: ComposeInfo = { path: p.file, services: [], ports: [], binds: [] };
  const lineOf = (key: string) => p.positions.get(key)?.line ?? 0;
  for (const [name, svc] of Object.entries(services as Record<string, unknown>)) {
    info.services.push(name);
    if (!svc || typeof svc !== "object" || Array.isArray(svc)) continue;
    const { ports, volumes } = svc as { ports?: unknown; volumes?: unknown };
    if (Array.isArray(ports)) {
      ports.forEach((item, i) => {
        for (const port of publishedPorts(item))
          info.ports.push({ service: name, ...port, line: lineOf(`services.${name}.ports.${i}`) });
      });
    }
    if (Array.isArray(volumes)) {
      volumes.forEach((item, i) => {
        const bind = bindMount(item);
        if (bind) info.binds.push({ service: name, ...bind, line: lineOf(`services.${name}.volumes.${i}`) });
      });
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
