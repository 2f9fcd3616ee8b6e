import { describe, expect, it } from "vitest";
import { imageTag, isShortName, qualify, rule } from "../../compose-rules/image-names.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { ROOTLESS, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  web:",
  '    image: "nginx:1.27" # the site',
  "  app:",
  "    build: .",
  "    image: myapp",
  "  worker:",
  "    image: worker:2",
  "  hub:",
  "    image: quay.io/jupyterhub/jupyterhub:4",
);

describe("image-names", () => {
  it("a short name warns with its docker.io spelling; a built image and a qualified one do not", () => {
    const { findings, codes } = runRule(rule, TEXT);
    expect(codes).toEqual(["3:compose.short-image", "8:compose.short-image"]);
    expect(findings[0]?.remedy).toBe("Write image: docker.io/library/nginx:1.27");
  });

  it("a short name Docker holds only locally is local-image, and never rewritten to docker.io", () => {
    const host = { ...ROOTLESS, localImages: new Set(["worker:2"]) };
    const { findings, codes } = runRule(rule, TEXT, host);
    expect(codes).toEqual(["3:compose.short-image", "8:compose.local-image"]);
    const edited = editCompose(TEXT, findings, host, new Map());
    expect(edited.text.split("\n")[2]).toBe('    image: "docker.io/library/nginx:1.27" # the site');
    expect(edited.text).toContain("    image: worker:2\n");
  });

  it("names: short or not, as Docker tags them, qualified", () => {
    expect([
      isShortName("redis"),
      isShortName("bitnami/redis"),
      isShortName("localhost/app"),
      isShortName("ghcr.io/a/b"),
    ]).toEqual([true, true, false, false]);
    expect([imageTag("redis"), imageTag("redis:7"), imageTag("my.reg:5000/app")]).toEqual([
      "redis:latest",
      "redis:7",
      "my.reg:5000/app:latest",
    ]);
    expect([qualify("redis:7"), qualify("bitnami/redis")]).toEqual([
      "docker.io/library/redis:7",
      "docker.io/bitnami/redis",
    ]);
  });
});
