// Small pieces several fixes share: persisting a sysctl, appending a line, a user's follow-up.
import type { Finding } from "../doctor/types.js";
import type { Host, UserInfo } from "../host/types.js";
import type { Change } from "./types.js";

/** Sets sysctls now and persists them in one /etc/sysctl.d file of podlift's own. */
export async function sysctlChanges(
  host: Host,
  settings: [key: string, value: string][],
  file: string,
  why: string,
): Promise<Change[]> {
  const path = `/etc/sysctl.d/${file}`;
  const before = await host.readFile(path);
  const keys = settings.map(([key]) => key);
  const kept = (
    before ?? "# Written by podlift fix. Remove this file (and sysctl -w the old values) to undo."
  )
    .split("\n")
    .filter((l) => l.trim() !== "" && !keys.includes(l.split("=")[0]?.trim() ?? ""));
  const after = `${[...kept, ...settings.map(([key, value]) => `${key} = ${value}`)].join("\n")}\n`;
  const runtime: Change[] = [];
  for (const [key, value] of settings) {
    runtime.push({
      kind: "sysctl",
      key,
      before: await host.readSysctl(key),
      after: value,
      why: `${why}: ${key} = ${value} (now)`,
    });
  }
  return [
    ...runtime,
    { kind: "write-file", path, before, after, mode: 0o644, why: `${why} (at every boot)` },
  ];
}

/** The text with one more line at the end, every existing byte kept. */
export function appendLine(before: string | null, line: string): string {
  const text = before ?? "";
  return `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${line}\n`;
}

/**
 * A file in the user's own configuration (a storage.conf, a shell profile, a containers.conf
 * drop-in under ~/.config) written for them: owned by them, and needing root only when podlift
 * runs as someone else.
 */
export function userFileChange(
  host: Host,
  user: UserInfo,
  file: { path: string; before: string | null; after: string; mode: number; why: string },
): Change {
  return {
    kind: "write-file",
    ...file,
    owner: { uid: user.uid, gid: user.gid },
    needsRoot: host.currentUser().uid !== user.uid,
  };
}

/** Runs as the target user when podlift runs as someone else (root acting for a user). */
export function asUser(host: Host, user: UserInfo): string | undefined {
  return host.currentUser().name === user.name ? undefined : user.name;
}

/** What the canary's remedy tries say about a fix (checks/canary.ts: evidence.tried and .proven). */
export function canaryProof(
  findings: Finding[],
  fixId: string,
): { triedAny: boolean; proven: Finding[]; tries: string[] } {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  const tried = findings.filter((f) => Array.isArray(f.evidence?.proven));
  return {
    triedAny: tried.length > 0,
    proven: tried.filter((f) => list(f.evidence?.proven).includes(fixId)),
    tries: tried.flatMap((f) => list(f.evidence?.tried)),
  };
}
