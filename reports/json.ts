// The machine-readable report: a doctor's or a compose check's result, redacted, described by
// schema/report.schema.json and schema/compose.schema.json (both carry schemaVersion).
import type { ComposeResult, RunResult } from "../src/engine/types.js";
import { redactDeep } from "../src/redact.js";

export function writeJson(result: RunResult | ComposeResult): string {
  return `${JSON.stringify(redactDeep(result), null, 2)}\n`;
}
