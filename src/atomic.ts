// Files podlift writes appear whole or not at all: temporary file in the same folder, fsync,
// rename over the target.
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";

export async function writeFileAtomic(file: string, content: string, mode = 0o644): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.podlift-${process.pid}-${Date.now()}`);
  const handle = await open(tmp, "wx", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
