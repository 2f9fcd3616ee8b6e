// Every rule, with every host fact known, on a file whose values have the wrong shapes: a
// healthcheck that is a string, deploy as a list, numbers where strings belong, nulls where
// mappings belong. Compose tools reject some of these; podlift reports, never throws.
import { describe, expect, it } from "vitest";
import { parseProject } from "../../src/compose/project.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { checkProject } from "../../src/compose-check/run-rules.js";
import type { HostContext } from "../../src/compose-check/types.js";

const TEXT = [
  "name: 42",
  "services:",
  "  a:",
  "    image: 7",
  "    healthcheck: pg_isready",
  "    deploy: [replicas, 3]",
  "    restart: 1",
  "    user: 1000",
  "    environment: 12",
  "    volumes: ./x:/x",
  "    depends_on: { b: service_healthy, c: { condition: 3 } }",
  "  b:",
  "    image: [x]",
  "    healthcheck: { test: 5, disable: yes }",
  "    deploy: { resources: { limits: 4 }, replicas: two, placement: null }",
  "    environment: [NETWORK=, 5, null]",
  "    volumes: [null, 3, { type: bind }]",
  "    networks: spawn",
  "  c: null",
  "  d: [1, 2]",
  "  e: 'string'",
  "  f:",
  "    image: ghcr.io/a/b:1",
  "    deploy: { mode: global, replicas: null, resources: { limits: { cpus: null, memory: [1G], pids: {} } } }",
  "    healthcheck: { test: [NONE] }",
  "    depends_on: { f: { condition: service_healthy } }",
  "    restart: always",
  "    volumes: [./y:/y]",
  "  g:",
  "    image: null",
  "    ports: { web: 80 }",
  "    volumes: { data: /data }",
  "    environment: { K: { nested: 1 }, DOCKER_HOST: 5, NETWORK: [a] }",
  "    user: null",
  "    userns_mode: 5",
  "    depends_on: db",
  "    restart: null",
  "    devices: 3",
  "    runtime: 5",
  "    network_mode: 5",
  "    privileged: 'yes'",
  "    healthcheck: null",
  "    deploy: { resources: { reservations: { devices: 3, cpus: [1] } } }",
  "  h:",
  "    ports: [{ published: x }, 80, null, [1]]",
  "    volumes: [{ type: bind, source: 5, target: null }, { type: volume }]",
  "    environment: { DOCKER_NETWORK_NAME: other_default }",
  "networks: [spawn]",
  "volumes: 3",
].join("\n");

const EVERYTHING: HostContext = {
  rootless: true,
  userName: "alice",
  uid: 1000,
  portStart: 1024,
  selinuxEnforcing: true,
  cdiDevices: [],
  podmanCompose: "1.6.0",
  home: "/home/alice",
  homes: ["/home/alice"],
  localImages: new Set(["7:latest"]),
  dockerVolumes: { docker: new Set(), podman: new Set() },
  linkTargets: new Map(),
  listening: [],
  hostRestarts: { systemd: true, lingers: false, podmanRestart: false, quadlets: [] },
  userManager: false,
  podmanNetworks: new Set(),
  delegatedControllers: [],
  imageUsers: new Map([
    ["ghcr.io/a/b:1", "1000:1000"],
    ["7", "app"],
  ]),
  podmanVersion: "5.0.0",
};

describe("malformed values", () => {
  it("every rule runs, and every edit is made or skipped, without a throw", () => {
    const p = parseProject("/srv/odd/compose.yaml", TEXT, "", {});
    const findings = checkProject(p, EVERYTHING);
    expect(findings.length).toBeGreaterThan(0);
    expect(() => editCompose(TEXT, findings, EVERYTHING, new Map([["a", 8]]))).not.toThrow();
    const variants: HostContext[] = [
      { ...EVERYTHING, rootless: false, userName: "root", uid: 0 },
      { ...EVERYTHING, delegatedControllers: null, podmanCompose: "1.0.6", podmanVersion: "4.2.0" },
      { ...EVERYTHING, hostRestarts: { systemd: false, lingers: null }, podmanCompose: null },
      { ...EVERYTHING, hostRestarts: { systemd: true, lingers: true, podmanRestart: true, quadlets: ["a"] } },
    ];
    for (const host of variants) {
      const found = checkProject(p, host);
      expect(() => editCompose(TEXT, found, host, new Map())).not.toThrow();
    }
  });
});
