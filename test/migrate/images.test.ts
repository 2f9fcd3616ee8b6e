// The space check before a load and the id check after, against a stand-in host whose podman
// and stat answer from a table (no Podman needed).
import { describe, expect, it } from "vitest";
import type { CommandResult, WritableHost } from "../../src/host/types.js";
import { parsePodmanImages, podmanName } from "../../src/migrate/image-names.js";
import { type ImageResult, SpaceGuard, verifyResults } from "../../src/migrate/images.js";
import { PodmanTarget } from "../../src/migrate/podman.js";

function hostAnswering(answers: Record<string, string>): WritableHost {
  const run = async (argv: readonly string[]): Promise<CommandResult> => {
    const key = argv.join(" ");
    const stdout = answers[key];
    return {
      argv,
      exitCode: stdout === undefined ? 1 : 0,
      stdout: stdout ?? "",
      stderr: stdout === undefined ? `no answer for ${key}` : "",
      durationMs: 1,
      timedOut: false,
    };
  };
  return {
    run,
    env: () => undefined,
    currentUser: () => ({ name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/sh" }),
  } as unknown as WritableHost;
}

const GIB = 1024 ** 3;
const STAT = "stat -f -c %i %a %S /var/lib/containers/storage /var/tmp";
const INFO = "podman info --format {{.Store.GraphRoot}}";

describe("SpaceGuard", () => {
  it("needs the image twice when the graph root and /var/tmp share a filesystem", async () => {
    // 1.5 GiB free in 4 KiB blocks on one filesystem (id abc)
    const blocks = (1.5 * GIB) / 4096;
    const host = hostAnswering({
      [INFO]: "/var/lib/containers/storage\n",
      [STAT]: `abc ${blocks} 4096\nabc ${blocks} 4096\n`,
    });
    const space = await SpaceGuard.open(new PodmanTarget(host, null));
    const release = await space.reserve(0.5 * GIB, "small:1");
    await expect(space.reserve(0.5 * GIB, "big:1")).rejects.toThrow(
      /not enough disk space for big:1: it needs 2\.0 GiB on the filesystem of \/var\/lib\/containers\/storage \(the image under \/var\/lib\/containers\/storage, and as much again in \/var\/tmp, where podman load first copies its input\), which has 1\.5 GiB free/,
    );
    release();
    await expect(space.reserve(0.5 * GIB, "big:1")).resolves.toBeTypeOf("function");
  });

  it("checks each filesystem for the image once when they differ", async () => {
    const host = hostAnswering({
      [INFO]: "/var/lib/containers/storage\n",
      [STAT]: `abc ${(2 * GIB) / 4096} 4096\ndef ${(0.25 * GIB) / 4096} 4096\n`,
    });
    const space = await SpaceGuard.open(new PodmanTarget(host, null));
    await expect(space.reserve(GIB, "app:1")).rejects.toThrow(
      /on the filesystem of \/var\/tmp, which has 256\.0 MiB free/,
    );
  });

  it("asks no podman info when the plan's listing named the graph root", async () => {
    // no answer for podman info: asking it would fail
    const host = hostAnswering({ [STAT]: `abc ${(2 * GIB) / 4096} 4096\nabc ${(2 * GIB) / 4096} 4096\n` });
    const space = await SpaceGuard.open(
      new PodmanTarget(host, null),
      Promise.resolve("/var/lib/containers/storage"),
    );
    expect(space.graphRoot).toBe("/var/lib/containers/storage");
    await expect(space.reserve(0.5 * GIB, "app:1")).resolves.toBeTypeOf("function");
  });

  it("says why when podman info fails", async () => {
    await expect(SpaceGuard.open(new PodmanTarget(hostAnswering({}), null))).rejects.toThrow(/podman info/);
  });
});

describe("verifyResults", () => {
  const ID = `sha256:${"a".repeat(64)}`;
  const result = (): ImageResult => ({
    source: "app:1",
    id: ID,
    names: [podmanName("app:1", false), podmanName("app:2", false)],
    status: "migrated",
    bytes: 1,
    durationMs: 1,
    verified: false,
    notes: [],
  });

  it("verifies when every name points at the id", () => {
    const r = result();
    verifyResults(
      [r],
      parsePodmanImages(
        JSON.stringify([{ Id: "a".repeat(64), Names: ["localhost/app:1", "localhost/app:2"] }]),
      ),
    );
    expect(r).toMatchObject({ status: "migrated", verified: true });
  });

  it("fails an image whose name points elsewhere after the load", () => {
    const r = result();
    verifyResults(
      [r],
      parsePodmanImages(
        JSON.stringify([
          { Id: "a".repeat(64), Names: ["localhost/app:1"] },
          { Id: "b".repeat(64), Names: ["localhost/app:2"] },
        ]),
      ),
    );
    expect(r.status).toBe("failed");
    expect(r.error).toContain(`localhost/app:2 → sha256:${"b".repeat(64)}`);
  });
});
