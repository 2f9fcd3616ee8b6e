// The machine-readable report: a doctor's or a compose check's result, redacted, described by
// schema/report.schema.json, compose.schema.json and fleet.schema.json (each carries schemaVersion).
import type { ComposeResult, RunResult } from "../src/doctor/types.js";
import { redactDeep } from "../src/text/redact.js";
import type { FleetReport } from "./fleet.js";

export function writeJson(result: RunResult | ComposeResult | FleetReport): string {
  return `${JSON.stringify(redactDeep(result), null, 2)}\n`;
}
