// The tool's version, read from package.json next to the build, without loading anything else;
// the single-file build (scripts/build-single.mjs) has it, and the docs pages, built in.
import { readFileSync } from "node:fs";

/** Set by the single-file build's `define`; undefined in an npm install and in tests. */
declare const PODLIFT_BUILD: { version: string; docs: Record<string, string> } | undefined;

export const built = typeof PODLIFT_BUILD === "undefined" ? undefined : PODLIFT_BUILD;

export function toolVersion(): string {
  if (built) return built.version;
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { version: string }).version;
    } catch {
      // not at this depth: from src/commands/ in tests, from dist/src/commands/ when built
    }
  }
  return "0.0.0";
}
