// Variables the target user's shells and services get from files: shell profiles, rc files,
// systemd's environment.d and pam_env's /etc/environment. podlift runs in its own environment
// (often root's, under sudo), so what a user's Docker clients see is read from these files.
// https://www.freedesktop.org/software/systemd/man/latest/environment.d.html
import type { Host, UserInfo } from "../host/types.js";

/** One assignment as written: `export NAME=value`, `NAME="value"`, `NAME=value` (environment.d). */
export interface EnvAssignment {
  name: string;
  value: string;
  file: string;
  line: number;
}

/** The files read for a user, in the order a login shell (then a service) would apply them. */
export function envFiles(user: UserInfo): string[] {
  const h = user.home;
  return [
    "/etc/environment",
    "/etc/profile",
    `${h}/.profile`,
    `${h}/.bash_profile`,
    `${h}/.bash_login`,
    `${h}/.bashrc`,
    `${h}/.zprofile`,
    `${h}/.zshenv`,
    `${h}/.zshrc`,
    `${h}/.config/environment.d`,
  ];
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/** Assignments of the given names in one file's text; quotes and a trailing comment removed. */
export function parseAssignments(text: string, file: string, names: readonly string[]): EnvAssignment[] {
  const out: EnvAssignment[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const m = ASSIGNMENT.exec(raw);
    if (!m || !names.includes(m[1] as string)) continue;
    let value = (m[2] as string).trim();
    const quoted = /^(["'])(.*?)\1/.exec(value);
    value = quoted ? (quoted[2] as string) : (value.split(/\s+#/)[0] ?? "").trim();
    out.push({ name: m[1] as string, value, file, line: i + 1 });
  }
  return out;
}

/**
 * Every assignment of `names` in the user's files that can be read (unreadable ones are left
 * out: a profile podlift may not read is no evidence either way), in envFiles order.
 */
export async function userAssignments(
  host: Host,
  user: UserInfo,
  names: readonly string[],
): Promise<EnvAssignment[]> {
  const out: EnvAssignment[] = [];
  for (const file of envFiles(user)) {
    const paths = file.endsWith("environment.d")
      ? ((await host.listDir(file).catch(() => null)) ?? [])
          .filter((n) => n.endsWith(".conf"))
          .sort()
          .map((n) => `${file}/${n}`)
      : [file];
    for (const p of paths) {
      const text = await host.readFile(p).catch(() => null);
      if (text !== null) out.push(...parseAssignments(text, p, names));
    }
  }
  return out;
}
