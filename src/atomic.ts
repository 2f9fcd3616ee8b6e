// Files podlift writes appear whole or not at all: temporary file in the same folder, fsync,
// rename over the target, fsync of the folder. A kill at any point leaves the old file intact.
import { chown, open, rename, rm } from "node:fs/promises";
import path from "node:path";

export interface AtomicOptions {
  mode?: number;
  owner?: { uid: number; gid: number };
  /** Test seam: runs after the temporary file is complete, just before the rename. */
  beforeRename?: (tmp: string) => Promise<void> | void;
}

export async function writeFileAtomic(
  file: string,
  content: string | Buffer,
  options: AtomicOptions = {},
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.podlift-${process.pid}-${Date.now()}`);
  const handle = await open(tmp, "wx", options.mode ?? 0o644);
  try {
    await handle.writeFile(content);
    // The process umask must not weaken or strengthen the mode we were asked for.
    await handle.chmod(options.mode ?? 0o644);
    if (options.owner) await chown(tmp, options.owner.uid, options.owner.gid);
    await handle.sync();
    await handle.close();
    await options.beforeRename?.(tmp);
    await rename(tmp, file);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw error;
  }
  const folder = await open(dir, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
