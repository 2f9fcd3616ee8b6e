// A plan shown to a person (unified diffs and exact argv lines), as JSON, or as a shell script
// the user reviews and runs with sudo when podlift itself may not change the host.
import { createTwoFilesPatch } from "diff";
import type { Change, Plan } from "./types.js";

export function renderPlan(plan: Plan, color = false): string {
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines = [
    `${paint(1, `[${plan.fixId}] ${plan.title}`)}${plan.risk === "confirm" ? paint(33, "  (risky: asks first, or needs --allow-risky)") : ""}`,
    `  ${plan.summary}`,
  ];
  plan.changes.forEach((change, i) => {
    lines.push(`  ${i + 1}. ${change.why}${needsRoot(change) ? paint(90, "  [root]") : ""}`);
    lines.push(...describe(change).map((l) => `     ${colorDiffLine(l, paint)}`));
  });
  for (const note of plan.notes) lines.push(`  ${paint(36, "note:")} ${note}`);
  lines.push(
    `  ${paint(90, plan.verify.length ? `verified by re-running: ${plan.verify.join(", ")}` : "no check can verify this from here")}`,
  );
  return `${lines.join("\n")}\n`;
}

function describe(change: Change): string[] {
  switch (change.kind) {
    case "write-file": {
      const patch = createTwoFilesPatch(
        change.before === null ? "/dev/null" : `a${change.path}`,
        `b${change.path}`,
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
      return [`write ${change.path} (mode ${change.mode.toString(8).padStart(4, "0")})`, ...body];
    }
    case "sysctl":
      return [`sysctl -w ${change.key}=${change.after}   (now: ${change.before ?? "unset"})`];
    case "command":
      return [`$ ${change.user ? `(as ${change.user}) ` : ""}${change.argv.map(quote).join(" ")}`];
  }
}

function colorDiffLine(line: string, paint: (c: number, t: string) => string): string {
  if (line.startsWith("+") && !line.startsWith("+++")) return paint(32, line);
  if (line.startsWith("-") && !line.startsWith("---")) return paint(31, line);
  return line;
}

export function needsRoot(change: Change): boolean {
  if (change.kind === "command") return change.needsRoot;
  return change.kind === "write-file" ? change.needsRoot !== false : true;
}

/** Quotes an argument for display and for the review script; podlift itself never runs a shell. */
export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A script of the plans for a person to read and run as root. */
export function renderScript(plans: Plan[]): string {
  const out = [
    "#!/bin/sh",
    "# Written by `podlift fix --script`. Read it before you run it (as root).",
    "set -eu",
    "",
  ];
  for (const plan of plans) {
    out.push(`# [${plan.fixId}] ${plan.title}: ${plan.summary.replaceAll("\n", " ")}`);
    for (const change of plan.changes) {
      out.push(`# ${change.why}`);
      if (change.kind === "write-file") {
        const marker = "PODLIFT_EOF";
        // Run as root, install would leave root owning a user's file (~/.profile): name the owner.
        const owner = change.owner ? ` -o ${change.owner.uid} -g ${change.owner.gid}` : "";
        const install = `install -D -m ${change.mode.toString(8).padStart(4, "0")}${owner} /dev/stdin ${quote(change.path)}`;
        // A here-document reads best, but always ends in a newline: other content goes through printf, byte for byte.
        if (change.after.endsWith("\n") && !change.after.split("\n").includes(marker)) {
          out.push(`${install} <<'${marker}'`, change.after.slice(0, -1), marker);
        } else {
          out.push(`printf '%s' ${quote(change.after)} | ${install}`);
        }
      } else if (change.kind === "sysctl") {
        out.push(`sysctl -w ${quote(`${change.key}=${change.after}`)}`);
      } else {
        const argv = change.argv.map(quote).join(" ");
        out.push(change.user ? `runuser -u ${quote(change.user)} -- ${argv}` : argv);
      }
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}
