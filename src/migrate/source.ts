// Where a volume's bytes come from. On the engine's own host, as root, podlift reads the volume
// folder with GNU tar: the Docker API's archive carries only the security.capability xattr
// (found by this project's tests), and tar reads faster. For a remote engine, or a folder podlift
// cannot read, the engine's archive endpoint serves the same tar format, minus other xattrs.
import type { Readable } from "node:stream";
import type { WritableHost } from "../host/types.js";
import type { DockerClient, DockerVolume } from "./docker.js";
import { TAR_FLAGS } from "./podman.js";

export interface Source {
  kind: "local-folder" | "engine-api";
  stream: Readable;
  /** After the stream ended: why it is not the whole volume, or null when it is. */
  finish(): Promise<string | null>;
  close(): Promise<void>;
  notes: string[];
}

export type Via = "auto" | "engine-api";

export async function openSource(
  docker: DockerClient,
  host: WritableHost,
  volume: DockerVolume,
  via: Via,
  signal?: AbortSignal,
): Promise<Source> {
  const local =
    via === "auto" &&
    docker.isLocal &&
    host.isLive &&
    host.currentUser().uid === 0 &&
    (await host.stat(volume.Mountpoint))?.type === "dir";
  if (local) {
    const tar = host.spawn(["tar", "-C", volume.Mountpoint, ...TAR_FLAGS, "-cf", "-", "."], { signal });
    tar.stdin.end();
    return {
      kind: "local-folder",
      stream: tar.stdout,
      async finish() {
        const r = await tar.result;
        return r.exitCode === 0
          ? null
          : `reading ${volume.Mountpoint} failed (tar exit ${r.exitCode}): ${r.stderr.trim().split("\n").slice(-2).join(" ")}`;
      },
      async close() {
        tar.kill();
        await tar.result;
      },
      notes: [],
    };
  }
  const helper = await docker.createHelper(volume.Name);
  try {
    const archive = await docker.archive(helper, signal);
    if ((archive.statusCode ?? 500) >= 300)
      throw new Error(`Docker refused the archive: HTTP ${archive.statusCode}`);
    let aborted = false;
    archive.on("aborted", () => {
      aborted = true;
    });
    return {
      kind: "engine-api",
      stream: archive,
      async finish() {
        if (aborted) return "the Docker engine closed the stream mid-volume";
        return archive.complete ? null : "the Docker engine ended the stream early";
      },
      close: () => docker.removeContainer(helper).then(() => undefined),
      notes: ["read through the Docker API, which carries no extended attributes but security.capability"],
    };
  } catch (error) {
    await docker.removeContainer(helper);
    throw error;
  }
}
