// One rule at a time, on a compose text written for the test: the engine runs only that rule, so
// a code it does not declare (or a fact it did not declare reading) throws here.
import { parseProject } from "../../src/compose/project.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import type { ComposeRule, HostContext } from "../../src/compose-check/types.js";

export const ROOTLESS: HostContext = {
  rootless: true,
  userName: "alice",
  uid: 1000,
  portStart: 1024,
  selinuxEnforcing: false,
  cdiDevices: [],
};

export const ROOTFUL: HostContext = { ...ROOTLESS, rootless: false, userName: "root", uid: 0 };

export function runRule(
  rule: ComposeRule,
  text: string,
  host: HostContext = ROOTLESS,
  file = "/srv/app/compose.yaml",
) {
  const findings = checkProject(parseProject(file, text, "", {}), host, [rule]);
  return { findings, codes: findings.map((f) => `${f.at.line}:${f.code}`) };
}

/** Compose text from lines, so that line numbers in the expectations are easy to count. */
export const yaml = (...lines: string[]) => `${lines.join("\n")}\n`;
