// The fd-to-fd route's pure parts: which client is chosen from what is on PATH (small fixture
// programs standing in for curl and docker), the producer's argv, and who a stall is blamed on.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LiveHost } from "../../src/host/live-host.js";
import { DockerClient } from "../../src/migrate/docker.js";
import {
  clientFor,
  exportArgv,
  findExportClients,
  LARGE_IMAGE_BYTES,
  stallMessage,
} from "../../src/migrate/image-pipe.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A folder holding the named programs; curl prints the given version line. */
function pathWith(programs: { curl?: string; docker?: boolean }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pl12i-path-"));
  dirs.push(dir);
  if (programs.curl !== undefined) {
    writeFileSync(path.join(dir, "curl"), `#!/bin/sh\necho '${programs.curl}'\n`);
    chmodSync(path.join(dir, "curl"), 0o755);
  }
  if (programs.docker) {
    writeFileSync(path.join(dir, "docker"), "#!/bin/sh\nexit 0\n");
    chmodSync(path.join(dir, "docker"), 0o755);
  }
  return dir;
}

describe("findExportClients", () => {
  const host = new LiveHost("/");

  it("finds curl 7.63 or later and the docker CLI", async () => {
    const dir = pathWith({ curl: "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1", docker: true });
    expect(await findExportClients(host, dir)).toEqual({
      curl: { kind: "curl", path: path.join(dir, "curl") },
      dockerCli: { kind: "docker-cli", path: path.join(dir, "docker") },
    });
  });

  it("leaves out a curl too old for --write-out %{stderr}", async () => {
    const dir = pathWith({ curl: "curl 7.58.0 (x86_64-pc-linux-gnu)", docker: true });
    expect((await findExportClients(host, dir)).curl).toBeNull();
  });

  it("skips relative PATH entries and finds the docker CLI alone", async () => {
    const dir = pathWith({ docker: true });
    expect(await findExportClients(host, `relative/bin:${dir}`)).toEqual({
      curl: null,
      dockerCli: { kind: "docker-cli", path: path.join(dir, "docker") },
    });
  });

  it("finds none when neither is installed", async () => {
    expect(await findExportClients(host, pathWith({}))).toEqual({ curl: null, dockerCli: null });
  });
});

describe("clientFor", () => {
  const curl = { kind: "curl" as const, path: "/usr/bin/curl" };
  const dockerCli = { kind: "docker-cli" as const, path: "/usr/bin/docker" };

  it.each([
    ["a small image, both installed", { curl, dockerCli }, 3 * 1024 * 1024, curl],
    ["a large image, both installed", { curl, dockerCli }, LARGE_IMAGE_BYTES, dockerCli],
    ["a large image, curl only", { curl, dockerCli: null }, LARGE_IMAGE_BYTES, curl],
    ["a small image, the docker CLI only", { curl: null, dockerCli }, 1024, dockerCli],
    ["neither: through Node", { curl: null, dockerCli: null }, 1024, null],
  ])("%s", (_what, clients, size, expected) => {
    expect(clientFor(clients, size)).toEqual(expected);
  });
});

describe("exportArgv", () => {
  it("curl through the engine's unix socket, one reference, status and size on stderr", () => {
    const argv = exportArgv(
      { kind: "curl", path: "/usr/bin/curl" },
      new DockerClient("unix:///run/docker.sock"),
      "app:1",
    );
    expect(argv[1]).toBe("--disable");
    expect(argv).toContain("--fail");
    expect(argv.slice(argv.indexOf("--unix-socket"), argv.indexOf("--unix-socket") + 2)).toEqual([
      "--unix-socket",
      "/run/docker.sock",
    ]);
    expect(argv.at(-1)).toBe("http://docker/v1.41/images/get?names=app%3A1");
    expect(argv.at(-3)).toBe("--output");
  });

  it("curl to a tcp:// engine", () => {
    const argv = exportArgv(
      { kind: "curl", path: "/usr/bin/curl" },
      new DockerClient("tcp://10.0.0.5:2375"),
      `sha256:${"a".repeat(64)}`,
    );
    expect(argv).not.toContain("--unix-socket");
    expect(argv.at(-1)).toBe(`http://10.0.0.5:2375/v1.41/images/get?names=sha256%3A${"a".repeat(64)}`);
  });

  it("docker save with the engine's address", () => {
    expect(
      exportArgv(
        { kind: "docker-cli", path: "/usr/bin/docker" },
        new DockerClient("unix:///run/docker.sock"),
        "app:1",
      ),
    ).toEqual(["/usr/bin/docker", "-H", "unix:///run/docker.sock", "save", "app:1"]);
  });
});

describe("stallMessage", () => {
  it.each([
    [1, 0, "the Docker engine gave no answer within 1500 ms"],
    [1, null, "the Docker engine gave no answer within 1500 ms"],
    [102401, 102400, "the Docker engine sent nothing for 1.5 s (after 100.0 KiB)"],
    [5 * 1024 * 1024, 4 * 1024 * 1024, "podman load read nothing for 1.5 s"],
    [
      5 * 1024 * 1024,
      null,
      "no byte moved from the Docker engine into podman load for 1.5 s (after 5.0 MiB)",
    ],
  ])("written %d, spooled %s: %s", (written, spooled, message) => {
    expect(stallMessage(written, spooled, 1500)).toBe(message);
  });
});
