// The terminal in one place: whether a person is there to answer, whether colour is wanted, and
// the escape codes themselves. Every writer of text takes a Style; none writes escapes by hand.

/** A person at a terminal: standard input and error are terminals and this is not CI. */
export function interactive(): boolean {
  return process.stderr.isTTY === true && process.stdin.isTTY === true && !process.env.CI;
}

/** Colour on standard output: asked for (no --no-color), NO_COLOR unset, and a terminal there. */
export function useColor(flags: { color: boolean }): boolean {
  return flags.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
}

/** SGR codes by the role they play in podlift's output. */
export const COLOURS = {
  pass: 32,
  warn: 33,
  fail: 31,
  error: 35,
  dim: 90,
  hint: 36,
} as const;

export interface Style {
  paint(colour: keyof typeof COLOURS, text: string): string;
  bold(text: string): string;
}

export function style(color: boolean): Style {
  return {
    paint: (colour, text) => (color ? `\u001b[${COLOURS[colour]}m${text}\u001b[0m` : text),
    bold: (text) => (color ? `\u001b[1m${text}\u001b[0m` : text),
  };
}
