// The tool's version, read from package.json next to the build, without loading anything else.
import { readFileSync } from "node:fs";

export function toolVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { version: string }).version;
    } catch {
      // not at this depth: from src/ in tests, from dist/src/ when built
    }
  }
  return "0.0.0";
}
