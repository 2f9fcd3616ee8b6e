// Report writers by format name, as --format takes them.
export { writeJson } from "./json.js";
export { writeJunit } from "./junit.js";
export { writeText } from "./text.js";

export const FORMATS = ["text", "json", "junit"] as const;
export type Format = (typeof FORMATS)[number];
