// The reports' JSON Schemas, compiled once for every test that validates real output: the
// doctor's report, and the compose check's, which shares its check and finding definitions.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../reports/schema/${name}`, import.meta.url), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema(load("report.schema.json"));

export const validateReport = ajv.getSchema("https://podlift.dev/schema/report-v1.json") as ReturnType<
  typeof ajv.compile
>;
export const validateComposeReport = ajv.compile(load("compose.schema.json"));
export const validateFleetReport = ajv.compile(load("fleet.schema.json"));
