import { describe, expect, it } from "vitest";
import { labelBindLine, rule } from "../../compose-rules/selinux-labels.js";
import { editCompose, editFor } from "../../src/compose-check/edits.js";
import { ROOTLESS, runRule, yaml } from "./helpers.js";

const ENFORCING = {
  ...ROOTLESS,
  selinuxEnforcing: true,
  home: "/home/alice",
  homes: ["/root", "/home/alice"],
};
const TEXT = yaml(
  "services:",
  "  app:",
  "    volumes:",
  "      - ./data:/data",
  "      - ./cache:/cache:Z",
  "      - /etc/ssl:/etc/ssl:ro",
  "      - type: bind",
  "        source: ./conf",
  "        target: /conf",
);

describe("selinux-labels", () => {
  it("an unlabelled bind fails on an enforcing host; a system folder gets its own code", () => {
    const { findings, codes } = runRule(rule, TEXT, ENFORCING, "/srv/app/compose.yaml");
    expect(codes).toEqual([
      "4:compose.bind-unlabeled",
      "6:compose.bind-system-folder",
      "7:compose.bind-unlabeled",
    ]);
    expect(findings[0]?.remedy).toBe(
      "Write ./data:/data:z (or ,z after other options); never on system folders",
    );
    expect(findings[2]?.remedy).toBe("Add bind: { selinux: z } to the mount.");
  });

  it("judges a linked source by the folder it names (./etclink -> /etc), and engines' state as system", () => {
    const text = yaml(
      "services:",
      "  app:",
      "    volumes:",
      "      - ./etclink:/x",
      "      - ./data:/data",
      "      - /var/lib/containers/storage:/s",
    );
    const host = { ...ENFORCING, linkTargets: new Map([["/srv/app/etclink", "/etc"]]) };
    const { findings, codes } = runRule(rule, text, host, "/srv/app/compose.yaml");
    expect(codes).toEqual([
      "4:compose.bind-system-folder",
      "5:compose.bind-unlabeled",
      "6:compose.bind-system-folder",
    ]);
    expect(findings[0]?.message).toContain("no :z offered: /etc is a system folder or home");
  });

  it("nothing without SELinux enforcing", () => {
    expect(runRule(rule, TEXT, ROOTLESS).codes).toEqual([]);
  });

  it("the :z edit is the risky one, and long syntax is left to a person", () => {
    const { findings } = runRule(rule, TEXT, ENFORCING);
    expect(editFor("compose.bind-unlabeled")?.risk).toBe("confirm");
    const edited = editCompose(TEXT, findings, ENFORCING, new Map());
    expect(edited.text.split("\n")[3]).toBe("      - ./data:/data:z");
    expect(edited.skipped.map((s) => s.finding.at.line)).toEqual([7]);
    expect(labelBindLine("      - ./logs:/var/log:ro")).toBe("      - ./logs:/var/log:ro,z");
  });
});
