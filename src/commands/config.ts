// podlift.json in the working folder (or --config FILE): team-wide choices for doctor runs, most
// of all which checks to skip and why. The reason is shown in every report.
import { UsageError } from "../errors.js";
import { readRegularText } from "../host/safe-read.js";

/** The largest delay a Node timer takes (2^31-1 ms, about 24.8 days); above it, timers fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface Config {
  path: string | null;
  skip: Record<string, string>;
  failOn?: "warn" | "fail";
  timeoutMs?: number;
  ports?: number[];
}

export async function loadConfig(explicit: string | undefined, cwd: string): Promise<Config> {
  const path = explicit ?? `${cwd}/podlift.json`;
  let text: string | null;
  try {
    // A regular file only, and a small one: a FIFO named podlift.json must not hang the run.
    text = await readRegularText(path, { maxBytes: 1024 * 1024 });
  } catch (error) {
    throw new UsageError(`cannot read config file: ${(error as Error).message}`);
  }
  if (text === null) {
    if (explicit === undefined) return { path: null, skip: {} };
    throw new UsageError(`cannot read config file ${path}: it does not exist`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return validate(raw, path);
}

export function validate(raw: unknown, path: string): Config {
  const bad = (why: string) => new UsageError(`config file ${path}: ${why}`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("must be a JSON object");
  const known = new Set(["$schema", "skip", "failOn", "timeoutMs", "ports"]);
  const extra = Object.keys(raw).filter((k) => !known.has(k));
  if (extra.length > 0)
    throw bad(`unknown key(s) ${extra.join(", ")} (known: skip, failOn, timeoutMs, ports)`);
  const r = raw as Record<string, unknown>;
  // No prototype: a "__proto__" key is then an (unknown) id like any other, not a prototype write.
  const config: Config = { path, skip: Object.create(null) as Record<string, string> };
  if (r.skip !== undefined) {
    if (typeof r.skip !== "object" || r.skip === null || Array.isArray(r.skip)) {
      throw bad('"skip" must map check ids to reasons, e.g. {"cdi-specs": "no GPUs in this fleet"}');
    }
    for (const [id, reason] of Object.entries(r.skip)) {
      if (typeof reason !== "string" || reason.trim() === "")
        throw bad(`skip.${id} needs a reason (a non-empty string)`);
      config.skip[id] = reason;
    }
  }
  if (r.failOn !== undefined) {
    if (r.failOn !== "warn" && r.failOn !== "fail") throw bad('"failOn" must be "warn" or "fail"');
    config.failOn = r.failOn;
  }
  if (r.timeoutMs !== undefined) {
    if (
      !Number.isInteger(r.timeoutMs) ||
      (r.timeoutMs as number) < 1 ||
      (r.timeoutMs as number) > MAX_TIMEOUT_MS
    )
      throw bad(`"timeoutMs" must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`);
    config.timeoutMs = r.timeoutMs as number;
  }
  if (r.ports !== undefined) {
    if (!Array.isArray(r.ports) || !r.ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) {
      throw bad('"ports" must be a list of port numbers');
    }
    config.ports = r.ports as number[];
  }
  return config;
}
