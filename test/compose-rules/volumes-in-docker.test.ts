import path from "node:path";
import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/volumes-in-docker.js";
import { loadProject } from "../../src/compose/project.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import { ROOTLESS } from "./helpers.js";

const DIR = path.join(import.meta.dirname, "..", "fixtures", "compose");
const volumesToMigrate = (
  loaded: Awaited<ReturnType<typeof loadProject>>,
  docker: Set<string>,
  podman: Set<string>,
) => checkProject(loaded, { ...ROOTLESS, dockerVolumes: { docker, podman } }, [rule]);

describe("volumes-in-docker", () => {
  it("names the project's volumes that Docker holds and Podman lacks", async () => {
    const loaded = await loadProject(path.join(DIR, "webapp", "compose.yaml"), {});
    const found = volumesToMigrate(loaded, new Set(["shop_pgdata", "other"]), new Set());
    expect(found).toEqual([
      expect.objectContaining({
        code: "compose.volume-not-migrated",
        remedy: "podlift migrate volumes --compose compose.yaml",
        at: expect.objectContaining({ line: 25 }),
      }),
    ]);
    expect(volumesToMigrate(loaded, new Set(["shop_pgdata"]), new Set(["shop_pgdata"]))).toEqual([]);
  });

  it("does not run when no Docker engine lists volumes", async () => {
    const loaded = await loadProject(path.join(DIR, "webapp", "compose.yaml"), {});
    expect(checkProject(loaded, ROOTLESS, [rule])).toEqual([]);
  });
});
