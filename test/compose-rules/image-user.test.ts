import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseUser, rule } from "../../compose-rules/image-user.js";
import { loadProject } from "../../src/compose/project.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import type { HostContext } from "../../src/compose-check/types.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

const NOTEBOOK = path.join(import.meta.dirname, "..", "fixtures", "compose", "gpu-notebook", "compose.yaml");
// Jupyter's docker-stacks images end with USER ${NB_UID}: Config.User is "1000".
const IMAGES: HostContext = {
  ...ROOTLESS,
  imageUsers: new Map([
    ["quay.io/jupyter/pytorch-notebook:cuda12-latest", "1000"],
    ["docker.io/library/python:3.12", ""],
    ["docker.io/library/postgres:16", "postgres"],
    ["ghcr.io/example/app:1", "1001:1001"],
  ]),
};

const TEXT = yaml(
  "services:",
  "  app:",
  "    image: ghcr.io/example/app:1 # the app",
  "    volumes:",
  "      - ./uploads:/srv/uploads",
  "      - cache:/srv/cache",
  "  db:",
  "    image: docker.io/library/postgres:16",
  "    volumes: [./pgdata:/var/lib/postgresql/data]",
  "  tool:",
  "    image: docker.io/library/python:3.12",
  "    volumes: [./src:/src]",
  "  pinned:",
  "    image: ghcr.io/example/app:1",
  "    user: '1001'",
  "    volumes: [./a:/a]",
  "  mapped:",
  "    image: ghcr.io/example/app:1",
  "    userns_mode: keep-id",
  "    volumes: [./b:/b]",
  "  volumes-only:",
  "    image: ghcr.io/example/app:1",
  "    volumes: [cache:/c]",
);

describe("image-user", () => {
  it("gpu-notebook: the notebook image runs as 1000 and bind-mounts ./work", async () => {
    const found = checkProject(await loadProject(NOTEBOOK, {}), IMAGES, [rule]);
    expect(found.map((f) => `${f.at.line}:${f.code}`)).toEqual(["3:compose.image-user-bind-ownership"]);
    expect(found[0]?.message).toBe(
      "image quay.io/jupyter/pytorch-notebook:cuda12-latest runs as USER 1000 and the service bind-mounts ./work: rootless, what it writes there belongs to a subordinate id on the host, not to alice",
    );
    // 1000 is alice's own uid: plain keep-id maps her to it, on any Podman.
    expect(found[0]?.remedy).toBe(
      "Add userns_mode: keep-id (1000 is your uid: the container user maps to alice), or chown the folders with podman unshare chown 1000 <folder>.",
    );
    const edited = editCompose((await loadProject(NOTEBOOK, {})).text, found, IMAGES, new Map());
    expect(edited.text.split("\n").slice(2, 4)).toEqual([
      "    image: quay.io/jupyter/pytorch-notebook:cuda12-latest",
      "    userns_mode: keep-id",
    ]);
  });

  it("another uid: keep-id:uid= from Podman 4.3; an older Podman gets podman unshare chown and no edit", async () => {
    const bob = { ...IMAGES, uid: 1001, userName: "bob" };
    const p = await loadProject(NOTEBOOK, {});
    const found = checkProject(p, { ...bob, podmanVersion: "5.2.1" }, [rule]);
    expect(found[0]?.remedy).toBe(
      "Add userns_mode: keep-id:uid=1000 (Podman 4.3 or later: 1000 in the container is bob on the host), or chown the folders with podman unshare chown 1000 <folder>.",
    );
    expect(found[0]?.data).toEqual({ keepId: "keep-id:uid=1000" });
    const older = checkProject(p, { ...bob, podmanVersion: "4.2.0" }, [rule]);
    expect(older[0]?.remedy).toBe(
      "Chown the folders with podman unshare chown 1000 <folder>; or upgrade Podman (4.2.0 is older than 4.3, which userns_mode: keep-id:uid=1000 needs).",
    );
    expect(editCompose(p.text, older, bob, new Map()).applied).toEqual([]);
  });

  it("a numeric USER gets keep-id with its uid and gid under image:; a named one only words", () => {
    const { findings, codes } = runRule(rule, TEXT, IMAGES);
    expect(codes).toEqual(["3:compose.image-user-bind-ownership", "8:compose.image-user-bind-ownership"]);
    expect(findings[1]?.remedy).toContain("podman run --rm --entrypoint id docker.io/library/postgres:16");
    const edited = editCompose(TEXT, findings, IMAGES, new Map());
    expect(edited.text.split("\n").slice(2, 4)).toEqual([
      "    image: ghcr.io/example/app:1 # the app",
      "    userns_mode: keep-id:uid=1001,gid=1001",
    ]);
    expect(edited.skipped.map((s) => s.finding.service)).toEqual(["db"]);
    const again = runRule(rule, edited.text, IMAGES);
    expect(again.codes).toEqual(["9:compose.image-user-bind-ownership"]);
  });

  it("rootful, or images podlift could not inspect: nothing", () => {
    expect(runRule(rule, TEXT, { ...ROOTFUL, imageUsers: IMAGES.imageUsers }).codes).toEqual([]);
    expect(runRule(rule, TEXT, ROOTLESS).codes).toEqual([]);
    expect(runRule(rule, TEXT, { ...ROOTLESS, imageUsers: new Map() }).codes).toEqual([]);
  });

  it("USER strings: root by name or id, numeric ids, names", () => {
    expect(
      [parseUser(""), parseUser("root"), parseUser("0:0"), parseUser("root:1000")].map((u) => u.root),
    ).toEqual([true, true, true, true]);
    expect(parseUser("1000")).toEqual({ root: false, uid: "1000" });
    expect(parseUser("0100:100")).toEqual({ root: false, uid: "100", gid: "100" });
    expect(parseUser("jovyan:users")).toEqual({ root: false });
  });

  it("broken input: volumes as a string or a number, image as a list, a null mount: no throw", () => {
    const text = yaml(
      "services:",
      "  a:",
      "    image: ghcr.io/example/app:1",
      "    volumes: ./x:/x",
      "  b:",
      "    image: [ghcr.io/example/app:1]",
      "    volumes: [./y:/y]",
      "  c:",
      "    image: ghcr.io/example/app:1",
      "    volumes: [null, 3, { type: bind, bind: null }]",
    );
    expect(runRule(rule, text, IMAGES).codes).toEqual(["9:compose.image-user-bind-ownership"]);
  });
});
