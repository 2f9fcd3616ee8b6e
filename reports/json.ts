// The machine-readable report: the run result, redacted, described by schema/report.schema.json.
import type { RunResult } from "../src/engine/types.js";
import { redactDeep } from "../src/redact.js";

export function writeJson(result: RunResult): string {
  return `${JSON.stringify(redactDeep(result), null, 2)}\n`;
}
