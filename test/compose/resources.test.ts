// The engine names of a project's volumes and networks, as Compose gives them.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadValidProject } from "../../src/compose/project.js";
import { projectNetworks, projectVolumes } from "../../src/compose/resources.js";

async function load(yaml: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-res-"));
  const file = path.join(dir, "compose.yaml");
  writeFileSync(file, yaml);
  return loadValidProject(file, {});
}

describe("compose resources", () => {
  it("names volumes by name:, external name, or <project>_<key>", async () => {
    const p = await load(
      "name: shop\nservices: {}\nvolumes:\n  db: {}\n  named: {name: exact}\n  ext: {external: true}\n  old: {external: {name: legacy}}\n",
    );
    expect(projectVolumes(p)).toEqual([
      { key: "db", name: "shop_db", external: false },
      { key: "named", name: "exact", external: false },
      { key: "ext", name: "ext", external: true },
      { key: "old", name: "legacy", external: true },
    ]);
  });

  it("adds the default network only when a service uses it", async () => {
    const uses = await load(
      "name: shop\nservices:\n  a: {image: x, networks: [back]}\n  b: {image: x}\nnetworks:\n  back: {}\n",
    );
    expect(projectNetworks(uses).map((n) => n.name)).toEqual(["shop_back", "shop_default"]);
    const none = await load(
      "name: shop\nservices:\n  a: {image: x, networks: {back: {}}}\n  h: {image: x, network_mode: host}\nnetworks:\n  back: {}\n",
    );
    expect(projectNetworks(none).map((n) => n.name)).toEqual(["shop_back"]);
    const listed = await load("name: shop\nservices:\n  a: {image: x, networks: [default]}\n");
    expect(projectNetworks(listed)).toEqual([{ key: "default", name: "shop_default", external: false }]);
    const custom = await load(
      "name: shop\nservices:\n  a: {image: x}\nnetworks:\n  default: {name: corp, external: true}\n",
    );
    expect(projectNetworks(custom)).toEqual([{ key: "default", name: "corp", external: true }]);
  });

  it("ignores a networks: or volumes: key that is no mapping", async () => {
    const p = await load("name: shop\nservices: {}\nvolumes: [a, b]\nnetworks: 7\n");
    expect(projectVolumes(p)).toEqual([]);
    expect(projectNetworks(p)).toEqual([]);
  });
});
