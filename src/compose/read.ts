// The one bounded reader of compose files: regular files only, at most MAX_COMPOSE_BYTES, so a
// FIFO, a device or a 50 MB file is a one-line error, never a hang.
import { stat } from "node:fs/promises";
import { UsageError } from "../errors.js";
import { readRegularFile, UnreadableFileError } from "../host/safe-read.js";

/** A compose file podlift was pointed at that it cannot read or parse: exit 2. */
export class ComposeError extends UsageError {}

/** The largest compose file podlift reads: real projects are a few kB; this bounds time and memory. */
export const MAX_COMPOSE_BYTES = 4 * 1024 * 1024;

/**
 * A compose file's text through the bounded reader: null when it does not exist; a FIFO, device
 * or folder throws UnreadableFileError (never blocks); a file over MAX_COMPOSE_BYTES throws
 * ComposeError saying so. `shown`: the path to name (the host path under --root).
 */
export async function readComposeText(realPath: string, shown = realPath): Promise<string | null> {
  try {
    const bytes = await readRegularFile(realPath, { maxBytes: MAX_COMPOSE_BYTES, displayPath: shown });
    return bytes === null ? null : bytes.toString("utf8");
  } catch (error) {
    if (error instanceof UnreadableFileError && error.kind === "too-large") {
      const size = await stat(realPath).then(
        (s) => `${s.size} bytes`,
        () => `more than ${MAX_COMPOSE_BYTES} bytes`,
      );
      throw new ComposeError(
        `${shown} is ${size}; podlift reads compose files up to ${MAX_COMPOSE_BYTES} bytes`,
      );
    }
    throw error;
  }
}
