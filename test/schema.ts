// The report's JSON Schema, compiled once for every test that validates real output.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const schema = JSON.parse(
  readFileSync(new URL("../reports/schema/report.schema.json", import.meta.url), "utf8"),
);
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);

export const validateReport = ajv.compile(schema);
