// Whether a file on the live host keeps holes: fewer blocks allocated than its size needs.
// lstat(2) only (a link is never followed, nothing is opened: a FIFO cannot block it); the path
// is bytes, as tar read the name.
import { lstat } from "node:fs/promises";

/** True for a regular file with fewer allocated bytes than its size; false otherwise or on error. */
export async function keepsHoles(file: Buffer): Promise<boolean> {
  const st = await lstat(file).catch(() => null);
  return st?.isFile() === true && st.blocks * 512 < st.size;
}
