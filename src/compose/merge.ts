// Several compose files merged the way Compose merges them (`-f a.yaml -f b.yaml`, and
// compose.override.yaml): mappings merge key by key, a later scalar wins, and lists follow the
// rules of https://github.com/compose-spec/compose-spec/blob/main/13-merge.md — some are
// replaced whole (command, entrypoint, healthcheck.test), some are keyed (environment, labels
// and the like by name, volumes by target, secrets and configs by target or source), the rest
// appended without repeats. Base list entries keep their index, so positions stay valid.

/** How a later file's list indices map into the merged list, by the path of the list in that file. */
export type Remap = Map<string, Map<string, string>>;

type Data = Record<string, unknown>;

/** Lists a later file replaces whole. */
const REPLACED = /^services\.[^.]+\.(command|entrypoint|healthcheck\.test)$/;
/** Lists (or mappings) of NAME=value entries, merged by name. */
const BY_NAME =
  /^services\.[^.]+\.(environment|labels|extra_hosts|sysctls|annotations|build\.args|build\.labels|deploy\.labels)$/;
/** Mount lists merged by the path inside the container. */
const BY_TARGET = /^services\.[^.]+\.(volumes|secrets|configs|tmpfs)$/;

function isMapping(v: unknown): v is Data {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `later` merged into `base` (which it changes); `remap` learns where later list entries went. */
export function mergeInto(base: unknown, later: unknown, remap: Remap, at = ""): unknown {
  if (isMapping(base) && isMapping(later)) {
    for (const [key, value] of Object.entries(later)) {
      const child = at === "" ? key : `${at}.${key}`;
      base[key] = Object.hasOwn(base, key) ? mergeInto(base[key], value, remap, child) : value;
    }
    return base;
  }
  if (REPLACED.test(at)) return later;
  if (BY_NAME.test(at) && (Array.isArray(base) || isMapping(base))) return mergeNamed(base, later, remap, at);
  if (Array.isArray(base) && Array.isArray(later)) {
    const keyOf = BY_TARGET.test(at) ? mountKey : plainKey;
    const index = new Map<string, number>();
    base.forEach((entry, i) => {
      const key = keyOf(entry);
      if (key !== null) index.set(key, i);
    });
    const moved = new Map<string, string>();
    later.forEach((entry, i) => {
      const key = keyOf(entry);
      const same = key === null ? undefined : index.get(key);
      if (same !== undefined) {
        // A repeat of a plain value is dropped; a mount at the same target replaces the earlier.
        if (keyOf !== plainKey) base[same] = entry;
        moved.set(String(i), String(same));
        return;
      }
      moved.set(String(i), String(base.length));
      if (key !== null) index.set(key, base.length);
      base.push(entry);
    });
    remap.set(at, moved);
    return base;
  }
  // A scalar, or a value whose type changed: the later file's wins.
  return later;
}

/** environment, labels…: a list of NAME=value or a mapping, merged by NAME into the base's form. */
function mergeNamed(base: unknown[] | Data, later: unknown, remap: Remap, at: string): unknown {
  const entries: [string, unknown][] = Array.isArray(later)
    ? later.map((e) => {
        const [name = "", value] = String(e).split(/=(.*)/s);
        return [name, value ?? null];
      })
    : isMapping(later)
      ? Object.entries(later)
      : [];
  const moved = new Map<string, string>();
  const listed = (name: string, value: unknown) => (value === null ? name : `${name}=${value}`);
  if (isMapping(base)) {
    entries.forEach(([name, value], i) => {
      base[name] = value;
      moved.set(Array.isArray(later) ? String(i) : name, name);
    });
  } else {
    const index = new Map(base.map((e, i) => [String(e).split("=")[0] as string, i]));
    entries.forEach(([name, value], i) => {
      const same = index.get(name) ?? base.length;
      if (same === base.length) index.set(name, same);
      base[same] = listed(name, value);
      moved.set(Array.isArray(later) ? String(i) : name, String(same));
    });
  }
  remap.set(at, moved);
  return base;
}

/** The container path of a mount entry (short "src:target:opts" or long syntax), or its name. */
function mountKey(entry: unknown): string | null {
  if (isMapping(entry)) {
    const target = entry.target ?? entry.source;
    return typeof target === "string" ? target : null;
  }
  if (typeof entry !== "string") return null;
  const parts = entry.split(":");
  return parts.length >= 2 ? (parts[1] as string) : (parts[0] as string);
}

function plainKey(entry: unknown): string | null {
  return entry === null || typeof entry !== "object" ? `${typeof entry}:${String(entry)}` : null;
}
