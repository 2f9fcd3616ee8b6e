// The doctor report's schema at run time, for `podlift report merge`: a file is merged only when
// it is what podlift doctor --format json writes.
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import schema from "./schema/report.schema.json" with { type: "json" };

// ajv-formats is CommonJS with a default export: one shape under Node, another under bundlers.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

let compiled: ReturnType<Ajv["compile"]> | undefined;

/** null when `data` is a valid doctor report; otherwise the first problem, in one line. */
export function validateDoctorReport(data: unknown): string | null {
  if (compiled === undefined) {
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  if (compiled(data)) return null;
  const e = compiled.errors?.[0];
  return e ? `${e.instancePath || "/"} ${e.message ?? "is invalid"}` : "does not match the schema";
}
