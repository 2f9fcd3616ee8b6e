// Unit file values, escaped as systemd reads them: words with spaces, quotes or backslashes
// double-quoted with C escapes, `%` doubled (a specifier otherwise), `$` doubled in Exec lines
// (a variable otherwise). https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html#Command%20lines
// https://www.freedesktop.org/software/systemd/man/latest/systemd.unit.html#Specifiers

const PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;

/** One word for a line systemd (or Quadlet) splits into words. */
export function unitWord(word: string, exec = false): string {
  let w = word.replaceAll("%", "%%");
  if (exec) w = w.replaceAll("$", "$$$$");
  if (w !== "" && PLAIN.test(word)) return w;
  const quoted = w
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"')
    .replaceAll("\n", "\\n")
    .replaceAll("\t", "\\t")
    .replaceAll("\r", "\\r");
  return `"${quoted}"`;
}

/** Several words for one line. */
export function unitWords(words: readonly string[], exec = false): string {
  return words.map((w) => unitWord(w, exec)).join(" ");
}

/**
 * A value written as it is (Image=, Volume=, PublishPort=): `%` doubled, and `$` too when it ends
 * up in an Exec line (Quadlet copies values into ExecStart as they are: checked with Podman 5.4). A newline cannot be in
 * one (it would end the line): such a value is refused by the caller as a gap.
 */
export function unitRaw(value: string, exec = false): string {
  const v = value.replaceAll("%", "%%");
  return exec ? v.replaceAll("$", "$$$$") : v;
}

/** True when a value cannot be written as one line of a unit file. */
export function breaksLine(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what breaks a unit line
  return /[\u0000-\u001f\u007f]/.test(value);
}

export type Section = [name: string, lines: [key: string, value: string][]];

/** A unit file from sections, empty sections left out. */
export function renderSection(header: string[], sections: Section[]): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a comment line must stay one line
  const out = header.map((h) => `# ${h.replace(/[\u0000-\u001f\u007f]/g, "?")}`);
  for (const [name, lines] of sections) {
    if (lines.length === 0) continue;
    if (out.length > 0) out.push("");
    out.push(`[${name}]`, ...lines.map(([k, v]) => `${k}=${v}`));
  }
  return `${out.join("\n")}\n`;
}
