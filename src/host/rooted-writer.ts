// The write side of a host, confined to its root like the read side (RootedFs).
import { link, mkdir, open, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { isMissing, type RootedFs } from "./rooted-fs.js";
import type { HostWriter, WriteReport } from "./types.js";

let lastStamp = 0;

/** Date.now(), but never the same value twice in this process (temporary names stay unique). */
function uniqueNow(): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp;
}

export class RootedWriter implements HostWriter {
  constructor(private readonly fs: RootedFs) {}

  async writeFile(
    p: string,
    content: string | Buffer,
    mode: number,
    owner?: { uid: number; gid: number },
  ): Promise<WriteReport> {
    // Every link on the way is followed here, inside the root, and only when root or podlift's
    // user owns it; the real path has none left. The fix engine names the mode it wants (undo
    // puts the recorded one back).
    const real = await this.fs.resolveForWrite(p);
    const createdDirs = await this.makeParents(real);
    await writeFileAtomic(real, content, { mode, forceMode: true, owner, followSymlinks: false });
    return { createdDirs };
  }

  async removeFile(p: string) {
    await rm(await this.fs.resolveForWrite(p, false), { force: true });
  }

  async removeEmptyDir(p: string): Promise<boolean> {
    try {
      // rmdir removes only an empty folder, and never follows a link in the last component.
      await rmdir(await this.fs.resolveForWrite(p, false));
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (isMissing(error) || code === "ENOTEMPTY" || code === "EEXIST") return false;
      throw error;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(await this.fs.resolveForWrite(from, false), await this.fs.resolveForWrite(to, false));
  }

  async writeSysctl(key: string, value: string) {
    // /proc/sys files take a plain write; there is no rename on procfs.
    await writeFile(await this.fs.resolve(`/proc/sys/${key.replaceAll(".", "/")}`), `${value}\n`);
  }

  /**
   * Creates the file only if nothing is there, with its whole content at once: the content goes
   * to a temporary file that is then hard-linked to the name (link fails if the name exists), so
   * a reader never sees a half-written lock.
   */
  async createExclusive(p: string, content: string): Promise<boolean> {
    const real = await this.fs.resolveForWrite(p);
    await this.makeParents(real);
    const tmp = path.join(
      path.dirname(real),
      `.${path.basename(real)}.podlift-${process.pid}-${uniqueNow()}`,
    );
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, real);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async readBytes(p: string): Promise<Buffer | null> {
    try {
      return await readFile(await this.fs.resolveForWrite(p));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** mkdir -p of a real path's folder; returns the host paths of the folders it made, outermost first. */
  private async makeParents(real: string): Promise<string[]> {
    const dir = path.dirname(real);
    const first = await mkdir(dir, { recursive: true, mode: 0o755 });
    if (first === undefined) return [];
    const made: string[] = [];
    for (let d = dir; ; d = path.dirname(d)) {
      made.unshift(this.hostPath(d));
      if (d === first || d === path.dirname(d)) break;
    }
    return made;
  }

  private hostPath(real: string): string {
    if (this.fs.root === "/") return real;
    return `/${path.relative(this.fs.root, real)}`;
  }
}
