// Host-derived text is data. Before it reaches a terminal, control characters (escape sequences
// that clear the screen or set the window title, carriage returns that overwrite a line) are shown
// escaped; before it reaches a shell line podlift prints, it is quoted.

// C0 controls except tab and newline, DEL, and the C1 range (0x9b is a one-byte CSI).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Multi-line text for a terminal: tabs and newlines kept, every other control escaped. */
export function safeText(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

/** A single-line value for a terminal (a name, a path, a sysctl): newlines escaped too. */
export function safeLine(text: string): string {
  return text.replace(CONTROL_OR_NEWLINE, escapeChar);
}

/** True when the text holds a character that safeLine would escape. */
export function hasControl(text: string): boolean {
  CONTROL_OR_NEWLINE.lastIndex = 0;
  const found = CONTROL_OR_NEWLINE.test(text);
  CONTROL_OR_NEWLINE.lastIndex = 0;
  return found;
}

/**
 * Quotes one argument for a POSIX shell line that podlift prints (a remedy, a review script).
 * Plain words stay as they are; anything else is single-quoted, which no character can end
 * except a single quote, written as '\''. podlift itself never runs a shell.
 */
export function shellQuote(arg: string): string {
  if (arg !== "" && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A whole argv as one shell line, each argument quoted. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** Every string in a value (a run result, a plan) with safeLine applied: for text writers. */
export function safeDeep<T>(value: T): T {
  if (typeof value === "string") return safeLine(value) as T;
  if (Array.isArray(value)) return value.map((v) => safeDeep(v)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[safeLine(k)] = safeDeep(v);
    return out as T;
  }
  return value;
}
