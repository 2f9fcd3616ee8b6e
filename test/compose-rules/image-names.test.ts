import { describe, expect, it } from "vitest";
import { imageTag, isShortName, qualify, rule } from "../../compose-rules/image-names.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

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

  it("local-image points at podlift migrate images, as the user who runs the project, with the manual route", () => {
    const host = { ...ROOTLESS, localImages: new Set(["worker:2"]) };
    const { findings } = runRule(rule, TEXT, host);
    expect(findings[1]?.remedy).toBe(
      "Move it into Podman: podlift migrate images worker:2 --user alice (by hand: docker save worker:2 | podman load, as the user who runs the project). Podman stores it as localhost/worker:2; image: localhost/worker:2 says so explicitly. Or give the service a build: section.",
    );
    const rootful = runRule(rule, TEXT, { ...ROOTFUL, localImages: new Set(["worker:2"]) });
    expect(rootful.findings[1]?.remedy).toContain("podlift migrate images worker:2 (by hand");
  });

  it("a service with build: is never requalified, even when Docker holds its image locally", () => {
    const host = { ...ROOTLESS, localImages: new Set(["myapp:latest"]) };
    const { findings, codes } = runRule(rule, TEXT, host);
    expect(codes).not.toContain("6:compose.local-image");
    expect(codes).not.toContain("6:compose.short-image");
    expect(editCompose(TEXT, findings, host, new Map()).text).toContain("    image: myapp\n");
  });

  it("broken input: image as a number or a list, a service that is a string: no throw, no finding", () => {
    const text = yaml("services:", "  a:", "    image: 42", "  b:", "    image: [nginx]", "  c: nginx");
    expect(runRule(rule, text, { ...ROOTLESS, localImages: new Set(["42:latest"]) }).codes).toEqual([]);
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
