// /etc/subuid and /etc/subgid as shadow-utils reads them: `owner:start:count`, where owner is
// a user name or a numeric uid. See subuid(5): https://man7.org/linux/man-pages/man5/subuid.5.html
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

const MAX_ID = 2 ** 32 - 1;

export function parseSubid(text: string): SubidFile {
  const ranges: SubidRange[] = [];
  const malformed: SubidProblem[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const parsed = parseLine(trimmed);
    if (typeof parsed === "string") malformed.push({ line: i + 1, text: printable(raw), reason: parsed });
    else ranges.push({ ...parsed, line: i + 1 });
  }
  return { ranges, malformed };
}

/** A range, or the reason the line is not one. */
function parseLine(text: string): Omit<SubidRange, "line"> | string {
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
  return { owner, start, count };
}

export function ownsRange(range: SubidRange, user: { name: string; uid: number }): boolean {
  return range.owner === user.name || range.owner === String(user.uid);
}

export function overlaps(a: { start: number; count: number }, b: { start: number; count: number }): boolean {
  return a.start < b.start + b.count && b.start < a.start + a.count;
}

export function contains(range: { start: number; count: number }, id: number): boolean {
  return id >= range.start && id < range.start + range.count;
}

export function formatRange(r: SubidRange): string {
  return `${r.owner}:${r.start}:${r.count} (ids ${r.start}-${r.start + r.count - 1})`;
}

/** Control characters and binary garbage are shown escaped, never sent raw to a terminal. */
export function printable(text: string, max = 120): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
