// The registries and the folders must agree (ESLint's rule: no rule without an index entry,
// no rule without a docs page), and every finding code a check can emit is documented.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checks } from "../checks/index.js";
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
