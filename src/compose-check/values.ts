// Compose values as rules may read them: the file is data, and a list where a mapping belongs
// (or a string where a list belongs) is a finding for file-problems, never a crash in a rule.

/** A list value as its items; anything else (a string, a number, a mapping, null) as none. */
export function listItems(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
