// The write side of a host, confined to its root like the read side (RootedFs).
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../atomic.js";
import { isMissing, type RootedFs } from "./rooted-fs.js";
import type { HostWriter } from "./types.js";

export class RootedWriter implements HostWriter {
  constructor(private readonly fs: RootedFs) {}

  async writeFile(p: string, content: string | Buffer, mode: number, owner?: { uid: number; gid: number }) {
    const real = await this.fs.resolve(p);
    await mkdir(path.dirname(real), { recursive: true, mode: 0o755 });
    // The fix engine names the mode it wants (undo puts the recorded one back); links under --root
    // were resolved inside the root by fs.resolve, so none is followed out of it here.
    await writeFileAtomic(real, content, { mode, forceMode: true, owner, followSymlinks: this.fs.root === "/" });
  }

  async removeFile(p: string) {
    await rm(await this.fs.resolve(p, false), { force: true });
  }

  async writeSysctl(key: string, value: string) {
    // /proc/sys files take a plain write; there is no rename on procfs.
    await writeFile(await this.fs.resolve(`/proc/sys/${key.replaceAll(".", "/")}`), `${value}\n`);
  }

  async createExclusive(p: string, content: string): Promise<boolean> {
    const real = await this.fs.resolve(p);
    await mkdir(path.dirname(real), { recursive: true, mode: 0o755 });
    try {
      const handle = await open(real, "wx", 0o644);
      await handle.writeFile(content);
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  }

  async readBytes(p: string): Promise<Buffer | null> {
    try {
      return await readFile(await this.fs.resolve(p));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }
}
