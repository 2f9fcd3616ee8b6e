// Users come from the host's /etc/passwd, then from NSS (getent) on a live host, so that
// LDAP/SSSD accounts, common on fleets that move to rootless Podman, are found too.
import type { Host, UserInfo } from "./types.js";

export function parsePasswd(text: string): UserInfo[] {
  const users: UserInfo[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 7 || line.startsWith("#")) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    users.push({ name: f[0] as string, uid, gid, home: f[5] as string, shell: f[6] as string });
  }
  return users;
}

/** Finds a user by name or numeric uid. */
export async function lookupUser(host: Host, nameOrUid: string): Promise<UserInfo | null> {
  const byUid = /^\d+$/.test(nameOrUid);
  const match = (u: UserInfo) => (byUid ? String(u.uid) === nameOrUid : u.name === nameOrUid);
  // An unreadable /etc/passwd (a folder, a FIFO, mode 000) is reported by the host-files check;
  // here it only means asking NSS instead.
  const text = await host.readFile("/etc/passwd").catch(() => null);
  const local = parsePasswd(text ?? "").find(match);
  if (local) return local;
  if (!host.isLive) return null;
  const result = await host.run(["getent", "passwd", nameOrUid], { timeoutMs: 2000 });
  if (result.exitCode !== 0) return null;
  return parsePasswd(result.stdout).find(match) ?? null;
}
