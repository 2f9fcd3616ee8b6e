// How Docker's image names read in Podman, and what a name Podman already holds means.
import { describe, expect, it } from "vitest";
import type { DockerImage } from "../../src/migrate/docker.js";
import {
  conflictDecision,
  hasRegistry,
  imageAction,
  isLocalImage,
  loadName,
  parsePodmanImages,
  podmanName,
  splitTag,
  targetNames,
  validReference,
} from "../../src/migrate/image-names.js";

const ID = `sha256:${"a".repeat(64)}`;
const OTHER = `sha256:${"b".repeat(64)}`;
const image = (tags: string[], digests: string[] = []): DockerImage => ({
  Id: ID,
  RepoTags: tags,
  RepoDigests: digests,
  Size: 1,
  Created: 0,
});

describe("podman names", () => {
  it.each([
    ["app:1", false, "localhost/app:1", true],
    ["team/app:1", false, "localhost/team/app:1", true],
    ["nginx:1.27", true, "docker.io/library/nginx:1.27", false],
    ["bitnami/redis:7", true, "docker.io/bitnami/redis:7", false],
    ["example.com/team/app:3", false, "example.com/team/app:3", false],
    ["localhost:5000/app:dev", false, "localhost:5000/app:dev", false],
    ["localhost/app:dev", false, "localhost/app:dev", false],
  ])("%s (pulled: %s) is %s in Podman", (docker, pulled, podman, noted) => {
    const name = podmanName(docker, pulled);
    expect(name.podman).toBe(podman);
    expect(name.note !== undefined).toBe(noted);
  });

  it("splits a tag from a registry port", () => {
    expect(splitTag("localhost:5000/app")).toEqual({ repo: "localhost:5000/app", tag: "latest" });
    expect(splitTag("localhost:5000/app:2")).toEqual({ repo: "localhost:5000/app", tag: "2" });
    expect(hasRegistry("team/app")).toBe(false);
    expect(hasRegistry("localhost/app")).toBe(true);
  });

  it("gives every tag of an image, localhost/ for local names and docker.io for pulled ones", () => {
    const img = image(["nginx:1.27", "nginx:latest", "web:prod", "<none>:<none>"], ["nginx@sha256:1234"]);
    expect(targetNames(img).map((n) => n.podman)).toEqual([
      "docker.io/library/nginx:1.27",
      "docker.io/library/nginx:latest",
      "localhost/web:prod",
    ]);
    expect(isLocalImage(img)).toBe(true); // web:prod was tagged here
    expect(isLocalImage(image(["nginx:1.27"], ["nginx@sha256:1234"]))).toBe(false);
    expect(targetNames(image([]))).toEqual([]);
  });

  it("exports under a name podman load keeps as it is, else by id", () => {
    const pulled = targetNames(image(["nginx:1.27", "web:prod"], ["nginx@sha256:1234"]));
    expect(loadName(pulled)?.docker).toBe("web:prod");
    expect(loadName(targetNames(image(["nginx:1.27"], ["nginx@sha256:1234"])))).toBeNull();
    expect(loadName(targetNames(image(["example.com/a/b:1", "app:1"])))?.podman).toBe("example.com/a/b:1");
  });

  it("refuses references with characters no image name has", () => {
    for (const ok of [
      "app",
      "app:1",
      "example.com:5000/a/b:c",
      `app@sha256:${"a".repeat(64)}`,
      "0856cd0005e9",
    ])
      expect(validReference(ok)).toBe(true);
    for (const bad of [
      "",
      "-rm",
      "app name",
      "a\u001b[2Jb",
      "../x",
      "a//b",
      "a/./b",
      "app;rm",
      "x".repeat(600),
    ])
      expect(validReference(bad)).toBe(false);
  });
});

describe("what Podman holds", () => {
  const podman = parsePodmanImages(
    JSON.stringify([
      { Id: "a".repeat(64), Names: ["localhost/app:1"] },
      { Id: "b".repeat(64), Names: ["localhost/app:2"] },
    ]),
  );
  const names = (...tags: string[]) => tags.map((t) => podmanName(t, false));

  it("loads an image Podman lacks", () => {
    expect(imageAction(ID, names("new:1"), parsePodmanImages("[]"))).toEqual({ kind: "load" });
  });
  it("is already migrated when every name has the same id", () => {
    expect(imageAction(ID, names("app:1"), podman)).toEqual({ kind: "already-migrated" });
  });
  it("only tags when the id is there under fewer names", () => {
    expect(imageAction(ID, names("app:1", "app:3"), podman)).toMatchObject({
      kind: "tag",
      missing: [{ podman: "localhost/app:3" }],
    });
  });
  it("is a conflict when a name points at another id", () => {
    expect(imageAction(ID, names("app:1", "app:2"), podman)).toEqual({
      kind: "conflict",
      conflicts: [{ name: "localhost/app:2", podmanId: OTHER }],
    });
  });

  it.each([
    ["fail", false, "failed"],
    ["skip", false, "skipped"],
    ["replace", true, null],
  ] as const)("--on-conflict %s: proceed %s, status %s", (choice, proceed, status) => {
    const d = conflictDecision([{ name: "localhost/app:2", podmanId: OTHER }], choice, true);
    expect(d.proceed).toBe(proceed);
    expect(d.status).toBe(status);
    expect(d.message).toContain("localhost/app:2 is bbbbbbbbbbbb in Podman");
  });
});
