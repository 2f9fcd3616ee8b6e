// podlift migrate networks --compose against a real dockerd (own socket and data root) and the
// machine's root Podman: the networks a project uses move, the others stay, and the project's
// networks Docker does not have are told apart (Compose creates its own; an external one must exist).
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveUnavailable, type Service, startDockerd } from "./live.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const skip = liveUnavailable(["podman", "dockerd"]);
const NETS = ["plnc_back", "plnc-shared", "plnc-unrelated", "plnc-gone"];

let dockerd: Service;
let work: string;
const docker = (...args: string[]) =>
  execFileSync("docker", ["-H", `unix://${dockerd.socket}`, ...args])
    .toString()
    .trim();
const podmanNets = () =>
  execFileSync("podman", ["network", "ls", "--format", "{{.Name}}"]).toString().split("\n").filter(Boolean);
const cleanup = () => {
  for (const link of ["plnc-br0", "plnc-br1"]) execFile("ip", ["link", "delete", link], () => {});
  for (const n of NETS)
    try {
      execFileSync("podman", ["network", "rm", "--force", n], { stdio: "ignore" });
    } catch {
      // not there
    }
};

function podlift(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, "migrate", "networks", ...args, "--docker-host", `unix://${dockerd.socket}`],
      { timeout: 120000, cwd: work },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(skip !== null)("podlift migrate networks --compose (real dockerd, root Podman)", () => {
  beforeAll(async () => {
    cleanup();
    work = mkdtempSync(path.join(os.tmpdir(), "plnc-"));
    dockerd = await startDockerd();
    // The project's own network as Compose named it under Docker, an external one, and one the
    // project does not use.
    const bridge = (name: string) => ["-o", `com.docker.network.bridge.name=${name}`];
    docker("network", "create", "--subnet", "10.231.0.0/24", ...bridge("plnc-br0"), "plnc_back");
    docker("network", "create", "--label", "team=a", ...bridge("plnc-br1"), "plnc-shared");
    docker("network", "create", "plnc-unrelated");
    writeFileSync(
      path.join(work, "compose.yaml"),
      [
        "name: plnc",
        "services:",
        "  web:",
        "    image: localhost/web",
        "    networks: [back, shared, gone]",
        "  worker:",
        "    image: localhost/worker",
        "networks:",
        "  back: {}",
        "  shared:",
        "    external: true",
        "    name: plnc-shared",
        "  gone:",
        "    external: true",
        "    name: plnc-gone",
        "",
      ].join("\n"),
    );
  }, 120000);
  afterAll(async () => {
    cleanup();
    await dockerd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("plans only the project's networks, and says which it uses that Docker lacks", async () => {
    const plan = await podlift(["--compose", "compose.yaml", "--dry-run", "--format", "json"]);
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(0);
    const json = JSON.parse(plan.stdout);
    expect(json.networks.map((n: { name: string }) => n.name).sort()).toEqual(["plnc-shared", "plnc_back"]);
    expect(json.notInDocker).toEqual(
      expect.arrayContaining([
        { name: "plnc-gone", external: true, inPodman: false },
        // worker names no network: Compose's default network, which Docker never had here.
        { name: "plnc_default", external: false, inPodman: false },
      ]),
    );
    const text = await podlift(["--compose", "compose.yaml", "--dry-run"]);
    expect(text.stdout).toMatch(/✖ plnc-gone: external, and on neither engine: create it before `up`/);
    expect(text.stdout).toMatch(/• plnc_default: not on Docker; Compose creates it on `up`/);
    expect(podmanNets()).not.toContain("plnc_back");
  });

  it("moves them with --yes and leaves the other networks alone", async () => {
    // Docker's bridges hold the subnets until they are gone (as after docker network rm, or on
    // another host): Podman refuses a subnet in use.
    for (const link of ["plnc-br0", "plnc-br1"]) execFileSync("ip", ["link", "delete", link]);
    const r = await podlift(["--compose", "compose.yaml", "--yes", "--format", "json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).networks.map((n: { status: string }) => n.status)).toEqual([
      "migrated",
      "migrated",
    ]);
    const nets = podmanNets();
    expect(nets).toEqual(expect.arrayContaining(["plnc_back", "plnc-shared"]));
    expect(nets).not.toContain("plnc-unrelated");
    const subnet = execFileSync("podman", [
      "network",
      "inspect",
      "--format",
      "{{range .Subnets}}{{.Subnet}}{{end}}",
      "plnc_back",
    ])
      .toString()
      .trim();
    expect(subnet).toBe("10.231.0.0/24");
  });

  it("refuses names together with --compose, and a broken compose file, with exit 2", async () => {
    const both = await podlift(["plnc-unrelated", "--compose", "compose.yaml"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    writeFileSync(path.join(work, "broken.yaml"), "services: [\n");
    const broken = await podlift(["--compose", "broken.yaml", "--dry-run"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+:\d+/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });
});
