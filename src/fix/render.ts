// A plan shown to a person (unified diffs and exact argv lines), as JSON, or as a shell script
// the user reviews and runs with sudo when podlift itself may not change the host.

import { createTwoFilesPatch } from "diff";
import { hasControl, safeLine, shellQuote } from "../text/safe-text.js";
import { type Style, style } from "../text/terminal.js";
import type { Change, Plan } from "./types.js";

/** A plan for a terminal: host-derived text (names, paths, diff lines) shown with controls escaped. */
export function renderPlan(plan: Plan, color = false): string {
  const { paint, bold } = style(color);
  const lines = [
    `${bold(safeLine(`[${plan.fixId}] ${plan.title}`))}${plan.risk === "confirm" ? paint("warn", "  (risky: asks first, or needs --allow-risky)") : ""}`,
    `  ${safeLine(plan.summary)}`,
  ];
  plan.changes.forEach((change, i) => {
    lines.push(`  ${i + 1}. ${safeLine(change.why)}${needsRoot(change) ? paint("dim", "  [root]") : ""}`);
    lines.push(...describe(change).map((l) => `     ${colorDiffLine(safeLine(l), paint)}`));
  });
  for (const note of plan.notes) lines.push(`  ${paint("hint", "note:")} ${safeLine(note)}`);
  lines.push(
    `  ${paint("dim", plan.verify.length ? `verified by re-running: ${safeLine(plan.verify.join(", "))}` : "no check can verify this from here")}`,
  );
  return `${lines.join("\n")}\n`;
}

/** The lines that show one change; each is one line (names with newlines are escaped). */
function describe(change: Change): string[] {
  switch (change.kind) {
    case "write-file": {
      const name = safeLine(change.path);
      const patch = createTwoFilesPatch(
        change.before === null ? "/dev/null" : `a${name}`,
        `b${name}`,
        change.before ?? "",
        change.after,
        undefined,
        undefined,
        { context: 3 },
      );
      const body = patch
        .split("\n")
        .slice(1)
        .filter((l, i, all) => !(i === all.length - 1 && l === ""));
      return [`write ${shellQuote(name)} (mode ${change.mode.toString(8).padStart(4, "0")})`, ...body];
    }
    case "sysctl":
      return [`sysctl -w ${change.key}=${change.after}   (now: ${change.before ?? "unset"})`];
    case "command":
      // As the script writes it: a name with a newline in it stays on the line, and copies right.
      return [
        `$ ${change.user ? `(as ${change.user}) ` : ""}${change.argv.map((a) => scriptArg(a) ?? shellQuote(a)).join(" ")}`,
      ];
  }
}

function colorDiffLine(line: string, paint: Style["paint"]): string {
  if (line.startsWith("+") && !line.startsWith("+++")) return paint("pass", line);
  if (line.startsWith("-") && !line.startsWith("---")) return paint("fail", line);
  return line;
}

export function needsRoot(change: Change): boolean {
  if (change.kind === "command") return change.needsRoot;
  return change.kind === "write-file" ? change.needsRoot !== false : true;
}

/** Quotes an argument for display and for the review script; podlift itself never runs a shell. */
export const quote = shellQuote;

/** Characters a script line may not hold raw: controls other than tab and newline, and NUL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * A printf format that writes `text` byte for byte, for a single-quoted shell word: backslash
 * and % doubled, a single quote closed and reopened, and every character safeLine would escape
 * (newline too, unless keepNewlines) as \ooo octal bytes, so the script holds none of them raw.
 */
function printfFormat(text: string, keepNewlines: boolean): string {
  let out = "";
  for (const c of text) {
    if (c === "\\") out += "\\\\";
    else if (c === "%") out += "%%";
    else if (c === "'") out += "'\\''";
    else if ((c === "\n" && keepNewlines) || c === "\t" || !hasControl(c)) out += c;
    else for (const byte of Buffer.from(c, "utf8")) out += `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return out;
}

/**
 * One argument for a script line. A host-derived name with a newline or another control
 * character in it (a CDI spec named `x\ntouch /tmp/pwned\n.json`) is written as
 * "$(printf '...\012...')", so no line of the script is ever split or hidden by it. Command
 * substitution drops trailing newlines, so a name ending in one cannot be written: null.
 */
function scriptArg(arg: string): string | null {
  if (!hasControl(arg)) return shellQuote(arg);
  if (arg.endsWith("\n")) return null;
  return `"$(printf '${printfFormat(arg, false)}')"`;
}

/** A comment line: never more than one line, whatever the text holds. */
const comment = (text: string) => `# ${safeLine(text)}`;

/** The script lines of one change, or why it cannot be written as a script. */
function scriptLines(change: Change): string[] | { skip: string } {
  const args = (values: string[]) => {
    const out = values.map(scriptArg);
    return out.every((a): a is string => a !== null) ? out : null;
  };
  if (change.kind === "write-file") {
    const [path] = args([change.path]) ?? [];
    if (path === undefined) return { skip: `the file name ${safeLine(change.path)} ends in a newline` };
    const marker = "PODLIFT_EOF";
    let owner = "";
    if (change.owner) {
      const { uid, gid } = change.owner;
      if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0)
        return { skip: "the owner is not a numeric uid and gid" };
      // Run as root, install would leave root owning a user's file (~/.profile): name the owner.
      owner = ` -o ${uid} -g ${gid}`;
    }
    const install = `install -D -m ${(change.mode & 0o7777).toString(8).padStart(4, "0")}${owner} /dev/stdin ${path}`;
    const after = change.after;
    // A here-document reads best, but always ends in a newline and holds text as it is: other
    // content goes through printf, byte for byte, with control characters written as escapes.
    if (RAW_UNSAFE.test(after)) return [`printf '${printfFormat(after, true)}' | ${install}`];
    if (after.endsWith("\n") && !after.split("\n").includes(marker))
      return [`${install} <<'${marker}'`, after.slice(0, -1), marker];
    return [`printf '%s' ${shellQuote(after)} | ${install}`];
  }
  if (change.kind === "sysctl") {
    const setting = args([`${change.key}=${change.after}`]);
    return setting ? [`sysctl -w ${setting[0]}`] : { skip: "the sysctl value ends in a newline" };
  }
  const argv = args(change.argv);
  if (argv === null) return { skip: "an argument ends in a newline" };
  if (change.user === undefined) return [argv.join(" ")];
  const user = args([change.user]);
  return user ? [`runuser -u ${user[0]} -- ${argv.join(" ")}`] : { skip: "the user name ends in a newline" };
}

/**
 * A script of the plans for a person to read and run as root. Every host-derived string in it
 * (names, paths, contents, the reasons in comments) is quoted, escaped, or the change is left
 * out with a warning: reading the script shows exactly what running it does.
 */
export function renderScript(plans: Plan[]): string {
  const out = [
    "#!/bin/sh",
    "# Written by `podlift fix --script`. Read it before you run it (as root).",
    "set -eu",
    "",
  ];
  let skipped = 0;
  for (const plan of plans) {
    out.push(comment(`[${plan.fixId}] ${plan.title}: ${plan.summary}`));
    for (const note of plan.notes) out.push(comment(`note: ${note}`));
    for (const change of plan.changes) {
      out.push(comment(change.why));
      const lines = scriptLines(change);
      if (Array.isArray(lines)) {
        out.push(...lines);
        continue;
      }
      skipped++;
      const why = `podlift: left out of this script: ${lines.skip}; do this step by hand`;
      out.push(comment(why), `echo ${shellQuote(safeLine(why))} >&2`);
    }
    out.push("");
  }
  if (skipped > 0)
    out.push(`echo ${shellQuote(`podlift: ${skipped} step(s) were left out`)} >&2`, "exit 1", "");
  return `${out.join("\n")}\n`;
}
