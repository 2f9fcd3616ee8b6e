// What keeps the file from being read as compose tools read it: YAML errors, unset variables
// (interpolation per https://github.com/compose-spec/compose-spec/blob/main/12-interpolation.md),
// and a file with no services mapping. The loader finds the first three; this rule reports them.
import type { ComposeFinding, ComposeRule } from "../src/compose-check/types.js";

export const rule: ComposeRule = {
  id: "file-problems",
  title: "The file reads as a compose project",
  docs: "docs/compose-rules/file-problems.md",
  codes: {
    "compose.yaml-invalid": {
      status: ["fail"],
      summary: "the file is not valid YAML (position of the error)",
    },
    "compose.no-services": { status: ["fail"], summary: "no `services:` mapping" },
    "compose.var-missing": {
      status: ["warn"],
      summary: 'a variable is unset and has no default: it becomes ""',
    },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
    "compose.var-required": { status: ["fail"], summary: "a `${VAR:?msg}` variable is unset" },
  },
  facts: [],
  run({ project: p }) {
    const out: ComposeFinding[] = p.problems.map((x) => ({
      code: x.code,
      status: x.status,
      service: null,
      message: x.message,
      remedy:
        x.code === "compose.yaml-invalid"
          ? "Correct the YAML at that position."
          : "Set the variable in the environment or in .env next to the compose file.",
      at: x.at,
    }));
    const services = p.data.services ?? {};
    if (
      p.problems.length === 0 &&
      (typeof services !== "object" || services === null || Array.isArray(services))
    )
      out.push({
        code: "compose.no-services",
        status: "fail",
        service: null,
        message: 'no "services" mapping: is this a compose file?',
        remedy: "Name the services under a top-level services: key.",
        at: { line: 1, col: 1 },
      });
    return out;
  },
};
