// The registries and the folders must agree (ESLint's rule: no rule without an index entry,
// no rule without a docs page), and every finding code a check can emit is documented.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checks } from "../checks/index.js";
import { composeRules } from "../compose-rules/index.js";
import { fixes } from "../fixes/index.js";

const ROOT = path.join(import.meta.dirname, "..");
const modules = (dir: string) =>
  readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(".ts") && f !== "index.ts")
    .map((f) => f.replace(/\.ts$/, ""))
    .sort();

describe("check registry", () => {
  it("lists every module in checks/ exactly once, by its file name", () => {
    expect(checks.map((c) => c.id).sort()).toEqual(modules("checks"));
    expect(new Set(checks.map((c) => c.id)).size).toBe(checks.length);
  });

  it.each(checks.map((c) => [c.id, c]))(
    "%s has a kebab-case id, a docs page, and a test file",
    (id, check) => {
      expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(check.docs).toBe(`docs/checks/${id}.md`);
      expect(existsSync(path.join(ROOT, check.docs))).toBe(true);
      expect(existsSync(path.join(ROOT, "test/checks", `${id}.test.ts`))).toBe(true);
    },
  );

  it.each(checks.map((c) => [c.id]))("%s documents every finding code its source emits", (id) => {
    const source = readFileSync(path.join(ROOT, "checks", `${id}.ts`), "utf8");
    const doc = readFileSync(path.join(ROOT, "docs/checks", `${id}.md`), "utf8");
    const codes = [...source.matchAll(/code: "([a-z0-9-]+\.[a-z0-9.-]+)"/g)].map((m) => m[1] as string);
    const templated = [...source.matchAll(/code: `\$\{kind\}\.([a-z-]+)`/g)].flatMap((m) => [
      `subuid.${m[1]}`,
      `subgid.${m[1]}`,
    ]);
    const ternary = [
      ...source.matchAll(/\? "([a-z0-9-]+\.[a-z0-9-]+)" : "([a-z0-9-]+\.[a-z0-9-]+)"/g),
    ].flatMap((m) => [m[1], m[2]]);
    const all = [...new Set([...codes, ...templated, ...ternary])] as string[];
    expect(all.length).toBeGreaterThan(0);
    for (const code of all) expect(doc, `${code} missing from docs/checks/${id}.md`).toContain(`\`${code}\``);
  });
});

describe("fix registry", () => {
  const docs = checks.map((c) => readFileSync(path.join(ROOT, c.docs), "utf8")).join("\n");
  const sources = checks.map((c) => readFileSync(path.join(ROOT, "checks", `${c.id}.ts`), "utf8")).join("\n");

  it("lists every module in fixes/ exactly once, by its file name", () => {
    expect(fixes.map((f) => f.id).sort()).toEqual(modules("fixes"));
    expect(new Set(fixes.map((f) => f.id)).size).toBe(fixes.length);
  });

  it.each(fixes.map((f) => [f.id, f]))(
    "%s addresses only codes some check emits and documents, and is tested",
    (id, fix) => {
      expect(fix.addresses.length).toBeGreaterThan(0);
      for (const code of fix.addresses) {
        expect(docs, `${code} is in no check's docs`).toContain(`\`${code}\``);
        // subuid-ranges emits `${kind}.no-entry` for both files.
        const templated = `\${kind}.${code.split(".").slice(1).join(".")}`;
        const emitted =
          sources.includes(`"${code}"`) || (/^sub[ug]id\./.test(code) && sources.includes(templated));
        expect(emitted, `${code} is emitted by no check`).toBe(true);
      }
      const tested = readdirSync(path.join(ROOT, "test/fixes")).some((f) =>
        readFileSync(path.join(ROOT, "test/fixes", f), "utf8").includes(`"${id}"`),
      );
      expect(tested, `no test in test/fixes names ${id}`).toBe(true);
    },
  );
});

describe("compose rule registry", () => {
  it("lists every module in compose-rules/ exactly once, by its file name", () => {
    expect(composeRules.map((r) => r.id).sort()).toEqual(modules("compose-rules"));
    expect(new Set(composeRules.map((r) => r.id)).size).toBe(composeRules.length);
  });

  it.each(composeRules.map((r) => [r.id, r]))(
    "%s has a kebab-case id, a docs page, and a test file",
    (id, rule) => {
      expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(rule.docs).toBe(`docs/compose-rules/${id}.md`);
      expect(existsSync(path.join(ROOT, rule.docs))).toBe(true);
      expect(existsSync(path.join(ROOT, "test/compose-rules", `${id}.test.ts`))).toBe(true);
    },
  );

  // Codes come from the declarations, not from the source: the engine refuses a code a rule does
  // not declare, so every code a test sees emitted is one of these.
  it.each(composeRules.map((r) => [r.id, r]))(
    "%s declares its codes with statuses, documents each, and edits only its own codes",
    (id, rule) => {
      const doc = readFileSync(path.join(ROOT, rule.docs), "utf8");
      const codes = Object.keys(rule.codes);
      expect(codes.length).toBeGreaterThan(0);
      for (const [code, declared] of Object.entries(rule.codes)) {
        expect(code).toMatch(/^compose\.[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(declared.status.length).toBeGreaterThan(0);
        expect(doc, `${code} missing from docs/compose-rules/${id}.md`).toContain(`\`${code}\``);
      }
      for (const code of Object.keys(rule.edits ?? {})) expect(codes).toContain(code);
      // Each declared code is expected somewhere in the rule's own test.
      const test = readFileSync(path.join(ROOT, "test/compose-rules", `${id}.test.ts`), "utf8");
      for (const code of codes)
        expect(test, `${code} is not in test/compose-rules/${id}.test.ts`).toContain(code);
    },
  );

  it("no finding code is declared by two rules", () => {
    const all = composeRules.flatMap((r) => Object.keys(r.codes));
    expect(new Set(all).size).toBe(all.length);
  });

  it("the engine refuses a code, a status or a fact the rule does not declare", async () => {
    const { parseProject } = await import("../src/compose/project.js");
    const { checkProject } = await import("../src/compose-check/run-rules.js");
    const p = parseProject("/srv/app/compose.yaml", "services:\n  web:\n    image: nginx\n", "", {});
    const host = {
      rootless: true,
      userName: "alice",
      uid: 1000,
      portStart: 1024,
      selinuxEnforcing: false,
      cdiDevices: [],
    };
    const at = { line: 1, col: 1 };
    const emitting = (code: string, status: "warn" | "fail") => ({
      id: "test-rule",
      title: "",
      docs: "",
      codes: { "compose.declared": { status: ["warn"] as const, summary: "" } },
      facts: [],
      run: () => [{ code, status, service: null, message: "", remedy: "", at }],
    });
    expect(() => checkProject(p, host, [emitting("compose.other", "warn")])).toThrow(
      "compose rule test-rule emitted compose.other (warn), which it does not declare",
    );
    expect(() => checkProject(p, host, [emitting("compose.declared", "fail")])).toThrow("does not declare");
    expect(checkProject(p, host, [emitting("compose.declared", "warn")])).toHaveLength(1);
    const reading = {
      ...emitting("compose.declared", "warn"),
      run: (ctx: { host: { rootless: boolean } }) => (ctx.host.rootless ? [] : []),
    };
    expect(() => checkProject(p, host, [reading])).toThrow(
      "compose rule test-rule reads the fact rootless, which it does not declare",
    );
  });
});
