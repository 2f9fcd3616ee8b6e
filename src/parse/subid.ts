// /etc/subuid and /etc/subgid as shadow-utils reads them: `owner:start:count`, where owner is
// a user name or a numeric uid. See subuid(5): https://man7.org/linux/man-pages/man5/subuid.5.html
//
// These files can be large or hostile (tens of thousands of duplicate or overlapping lines), so
// everything here is O(n log n): sort by start, then sweep or binary-search; never all pairs.
// Long loops call a Ticker, which yields to the event loop every few thousand steps so that the
// engine's per-check deadline can fire, and stops when the check's signal is aborted.
import { safeLine } from "../text/safe-text.js";

export interface SubidRange {
  owner: string;
  start: number;
  count: number;
  line: number;
}

export interface SubidProblem {
  line: number;
  text: string;
  reason: string;
}

export interface SubidFile {
  ranges: SubidRange[];
  malformed: SubidProblem[];
}

interface Span {
  start: number;
  count: number;
}

const MAX_ID = 2 ** 32 - 1;

/** Iterations between two yields to the event loop. */
export const YIELD_EVERY = 5000;

/** Call `tick()` once per loop iteration; every YIELD_EVERY calls it awaits setImmediate. */
export type Ticker = () => Promise<void> | undefined;

export function ticker(signal?: AbortSignal, every = YIELD_EVERY): Ticker {
  let n = 0;
  return () => {
    if (++n % every !== 0) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => signal?.throwIfAborted());
  };
}

export function parseSubid(text: string): SubidFile {
  const out: SubidFile = { ranges: [], malformed: [] };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) parseInto(out, lines[i] as string, i + 1);
  return out;
}

/** parseSubid for a check: same result, yielding to the event loop on long files. */
export async function parseSubidAsync(text: string, tick: Ticker = ticker()): Promise<SubidFile> {
  const out: SubidFile = { ranges: [], malformed: [] };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    await tick();
    parseInto(out, lines[i] as string, i + 1);
  }
  return out;
}

function parseInto(out: SubidFile, raw: string, line: number): void {
  const trimmed = raw.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return;
  const parsed = parseLine(trimmed);
  if (typeof parsed === "string") out.malformed.push({ line, text: printable(raw), reason: parsed });
  else {
    parsed.line = line;
    out.ranges.push(parsed);
  }
}

/** A range, or the reason the line is not one. */
function parseLine(text: string): SubidRange | string {
  const fields = text.split(":");
  if (fields.length !== 3) return `expected 3 fields owner:start:count, found ${fields.length}`;
  const [owner, startText, countText] = fields as [string, string, string];
  if (owner === "") return "empty owner";
  if (!/^\d+$/.test(startText)) return `start "${printable(startText)}" is not a number`;
  if (!/^\d+$/.test(countText)) return `count "${printable(countText)}" is not a number`;
  const start = Number(startText);
  const count = Number(countText);
  if (count === 0) return "count is 0";
  if (start + count - 1 > MAX_ID) return "range goes past the largest id (4294967295)";
  return { owner, start, count, line: 0 };
}

export function ownsRange(range: SubidRange, user: { name: string; uid: number }): boolean {
  return range.owner === user.name || range.owner === String(user.uid);
}

/** The user's ranges in the text of /etc/subuid or /etc/subgid (null: an absent file). */
export function ownRanges(text: string | null, user: { name: string; uid: number }): SubidRange[] {
  return parseSubid(text ?? "").ranges.filter((r) => ownsRange(r, user));
}

/**
 * A uid map as "inside outside count" lines: the text of /proc/<pid>/uid_map, or the
 * `host.idMappings.uidmap` list of `podman info`; null when there is none.
 */
export function uidMapLines(map: string | readonly unknown[] | null | undefined): string[] | null {
  if (typeof map === "string") {
    const lines = map
      .trim()
      .split("\n")
      .map((l) => l.trim().replace(/\s+/g, " "))
      .filter(Boolean);
    return lines.length > 0 ? lines : null;
  }
  if (!Array.isArray(map) || map.length === 0) return null;
  return (map as { container_id?: unknown; host_id?: unknown; size?: unknown }[]).map(
    (m) => `${Number(m.container_id)} ${Number(m.host_id)} ${Number(m.size)}`,
  );
}

/** How many ids a uid map (uidMapLines) maps. */
export function mappedIds(lines: readonly string[]): number {
  return lines
    .map((l) => Number(l.split(" ")[2] ?? 0))
    .filter((n) => Number.isFinite(n))
    .reduce((a, b) => a + b, 0);
}

export function overlaps(a: Span, b: Span): boolean {
  return a.start < b.start + b.count && b.start < a.start + a.count;
}

export function contains(range: Span, id: number): boolean {
  return id >= range.start && id < range.start + range.count;
}

/** The owner as it may be shown on a terminal: control characters escaped, length capped. */
export function ownerName(owner: string, max = 64): string {
  const safe = safeLine(owner);
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

export function formatRange(r: SubidRange): string {
  return `${ownerName(r.owner)}:${r.start}:${r.count} (ids ${r.start}-${r.start + r.count - 1})`;
}

/** Control characters and binary garbage are shown escaped, never sent raw to a terminal. */
export function printable(text: string, max = 120): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** Index of the first element of the ascending array that is >= value (length if none). */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The ranges merged into disjoint spans, ascending: what they cover, each id once. */
export async function union(ranges: readonly Span[], tick: Ticker = ticker()): Promise<Span[]> {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const r of sorted) {
    await tick();
    const last = out.at(-1);
    if (last && r.start <= last.start + last.count) {
      last.count = Math.max(last.count, r.start + r.count - last.start);
    } else out.push({ start: r.start, count: r.count });
  }
  return out;
}

export interface OverlapReport<R extends Span> {
  /** How many of `mine` overlap at least one of `others`. */
  count: number;
  /** How many (mine, other) pairs overlap, counted without listing them. */
  pairs: number;
  /** Up to `limit` of `mine` (in input order), each with the lowest-starting range of `others` it overlaps. */
  examples: { range: R; other: R }[];
}

/**
 * Which of `mine` overlap some range of `others`, in O((m + n) log n): `others` sorted by start
 * (with a running maximum of their ends) and their ends sorted, so that for each of `mine` one
 * binary search counts the others that start before it ends, and another those that end before
 * it starts (all among the first, ranges being non-empty): the difference overlap it.
 */
export async function findOverlaps<R extends Span>(
  mine: readonly R[],
  others: readonly R[],
  limit = 5,
  tick: Ticker = ticker(),
): Promise<OverlapReport<R>> {
  const byStart = [...others].sort((a, b) => a.start - b.start);
  const starts = Float64Array.from(byStart, (r) => r.start);
  const ends = Float64Array.from(others, (r) => r.start + r.count).sort();
  // reach[i]: the largest end among byStart[0..i]. It only grows, and it grows exactly at the
  // ranges that end later than every range before them, so the first i with reach[i] > id is
  // the lowest-starting range that is still open at id.
  const reach = new Float64Array(byStart.length);
  for (let i = 0; i < byStart.length; i++) {
    await tick();
    const r = byStart[i] as R;
    reach[i] = Math.max(i > 0 ? (reach[i - 1] as number) : 0, r.start + r.count);
  }
  const report: OverlapReport<R> = { count: 0, pairs: 0, examples: [] };
  for (const r of mine) {
    await tick();
    const end = r.start + r.count;
    const startBefore = lowerBound(starts, end); // others with start < end
    const endBefore = lowerBound(ends, r.start + 1); // others with end <= r.start
    const n = startBefore - endBefore;
    if (n <= 0) continue;
    report.count++;
    report.pairs += n;
    if (report.examples.length < limit) {
      report.examples.push({ range: r, other: byStart[lowerBound(reach, r.start + 1)] as R });
    }
  }
  return report;
}

/** Ids (sorted ascending, with a label each) that fall inside any of the spans. */
export interface IdsInside {
  count: number;
  /** The first `limit` labels, by id. */
  examples: string[];
}

export async function idsInside(
  spans: readonly Span[],
  ids: readonly { id: number; label: string }[],
  limit = 5,
  tick: Ticker = ticker(),
): Promise<IdsInside> {
  const sorted = [...ids].sort((a, b) => a.id - b.id);
  const keys = Float64Array.from(sorted, (x) => x.id);
  const out: IdsInside = { count: 0, examples: [] };
  for (const s of await union(spans, tick)) {
    await tick();
    const from = lowerBound(keys, s.start);
    const to = lowerBound(keys, s.start + s.count);
    out.count += to - from;
    for (let i = from; i < to && out.examples.length < limit; i++) {
      out.examples.push((sorted[i] as { label: string }).label);
    }
  }
  return out;
}

/**
 * The lowest start at or above `first` where `count` ids overlap nothing taken, or null.
 * One sweep over the ranges sorted by start: the candidate moves past every range that
 * overlaps it; the first range that starts after the candidate's end leaves a free gap.
 */
export function freeStart(taken: readonly Span[], first: number, count: number): number | null {
  const sorted = [...taken].sort((a, b) => a.start - b.start);
  let candidate = first;
  for (const r of sorted) {
    if (candidate + count - 1 > MAX_ID) return null;
    if (r.start >= candidate + count) break;
    candidate = Math.max(candidate, r.start + r.count);
  }
  return candidate + count - 1 <= MAX_ID ? candidate : null;
}
