// File access confined to a root folder, as the node's root is mounted at /host in a pod.
// Absolute symlinks inside the tree (/var/run -> /run) are followed *within* the root, never
// out of it, so a fixture or a mounted root can never make podlift read the wrong machine.
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { trustedLinkOwner, untrustedLink } from "./atomic.js";
import { MountNotAnswering, mountGuard } from "./mount-guard.js";
import { kindOfStats, readRegularFile, UnreadableFileError } from "./safe-read.js";
import type { StatInfo } from "./types.js";

const MAX_LINKS = 40;

export class RootedFs {
  /** Every file operation goes through `guard`: one on a mount that can hang never hangs podlift. */
  constructor(
    readonly root: string,
    private readonly guard = mountGuard,
  ) {}

  /** Maps a host path to a real path under root, following symlinks inside the root. */
  async resolve(hostPath: string, followLast = true): Promise<string> {
    if (this.root === "/") return path.resolve("/", hostPath);
    return this.walk(hostPath, followLast, false);
  }

  /**
   * The real path a write lands on: every link on the way followed (inside the root), and each one
   * must belong to root or to podlift's user, also on a live host, so a link a user planted in
   * their home (`~/.profile -> /etc/shadow`) can never steer a write made as root.
   */
  async resolveForWrite(hostPath: string, followLast = true): Promise<string> {
    return this.walk(hostPath, followLast, true);
  }

  private async walk(hostPath: string, followLast: boolean, trustedOnly: boolean): Promise<string> {
    const parts = splitParts(hostPath);
    const done: string[] = [];
    let hops = 0;
    while (parts.length > 0) {
      const part = parts.shift() as string;
      if (part === "..") {
        done.pop();
        continue;
      }
      done.push(part);
      if (!followLast && parts.length === 0) break;
      const real = path.join(this.root, ...done);
      let target: string;
      try {
        target = await this.guard.run(real, () => readlink(real));
      } catch (error) {
        if (error instanceof MountNotAnswering) throw new UnreadableFileError(hostPath, "io", error.message);
        continue; // not a symlink, or absent: keep walking
      }
      if (++hops > MAX_LINKS) throw new UnreadableFileError(hostPath, "loop");
      if (trustedOnly) {
        const owner = (await this.guard.run(real, () => lstat(real))).uid;
        if (!trustedLinkOwner(owner)) throw untrustedLink(hostPath, real, owner);
      }
      done.pop();
      const rest = splitParts(target);
      if (target.startsWith("/")) done.length = 0;
      parts.unshift(...rest);
    }
    return path.join(this.root, ...done);
  }

  async readFile(hostPath: string): Promise<string | null> {
    const buf = await this.readBuffer(hostPath);
    return buf === null ? null : buf.toString("utf8");
  }

  /**
   * A regular file's bytes (bounded), or null when absent. A FIFO, device, folder, loop or an
   * unreadable file throws UnreadableFileError, which the engine reports as a host finding.
   */
  async readBuffer(hostPath: string, maxBytes?: number): Promise<Buffer | null> {
    const real = await this.resolve(hostPath);
    try {
      return await this.guard.run(real, () => readRegularFile(real, { displayPath: hostPath, maxBytes }));
    } catch (error) {
      throw asUnreadable(hostPath, error);
    }
  }

  async readLink(hostPath: string): Promise<string | null> {
    try {
      const real = await this.resolve(hostPath, false);
      return await this.guard.run(real, () => readlink(real));
    } catch {
      return null;
    }
  }

  async listDir(hostPath: string): Promise<string[] | null> {
    try {
      const real = await this.resolve(hostPath);
      return (await this.guard.run(real, () => readdir(real))).sort();
    } catch (error) {
      if (isMissing(error)) return null;
      throw asUnreadable(hostPath, error);
    }
  }

  async stat(hostPath: string, followLast = true): Promise<StatInfo | null> {
    try {
      const real = await this.resolve(hostPath, followLast);
      const s = await this.guard.run(real, () => (followLast ? stat(real) : lstat(real)));
      return {
        type: kindOfStats(s),
        mode: s.mode & 0o7777,
        uid: s.uid,
        gid: s.gid,
        size: s.size,
      };
    } catch (error) {
      if (isMissing(error)) return null;
      throw asUnreadable(hostPath, error);
    }
  }
}

/** A loop or a denied folder on the way is a fact about the host, not a podlift defect. */
function asUnreadable(hostPath: string, error: unknown): unknown {
  if (error instanceof UnreadableFileError) return error;
  if (error instanceof MountNotAnswering) return new UnreadableFileError(hostPath, "io", error.message);
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "ELOOP") return new UnreadableFileError(hostPath, "loop");
  if (code === "EACCES" || code === "EPERM") return new UnreadableFileError(hostPath, "permission");
  return error;
}

function splitParts(p: string): string[] {
  return p.split("/").filter((s) => s !== "" && s !== ".");
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
