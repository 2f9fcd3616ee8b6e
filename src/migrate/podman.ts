// The target side: Podman volumes, rootful or for a rootless user. Data goes in with GNU tar
// into the volume's folder (inside `podman unshare` for a rootless user, so ids map through the
// user's ranges). Not `podman volume import`: Podman 4.3 refuses a symlink that points out of the
// volume ("invalid symlink"), which Docker volumes may hold, and leaves the root folder's owner
// and mode behind. Found on this project's CI machine (Debian 12, Podman 4.3.1).

import path from "node:path";
import { userEnv } from "../doctor/podman-facts.js";
import type { PipedSpec } from "../host/piped.js";
import { freeBytes, moveFolder } from "../host/scratch.js";
import type { CommandResult, Host, StreamingCommand, UserInfo, WritableHost } from "../host/types.js";

export const TAR_FLAGS = ["--xattrs", "--xattrs-include=*", "--numeric-owner"];
/**
 * Reading: holes of sparse files stay holes (GNU tar looks for them only in files with fewer
 * blocks than bytes, so others cost nothing), and tar -x writes them back as holes.
 */
export const READ_FLAGS = [...TAR_FLAGS, "--sparse"];

/** One line of `podman volume ls --format json`. */
export interface PodmanVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
}

export class PodmanTarget {
  constructor(
    readonly host: WritableHost,
    /** The rootless user, or null for rootful Podman. */
    readonly user: UserInfo | null,
  ) {}

  private asUser(): string | undefined {
    return this.user && this.user.name !== this.host.currentUser().name ? this.user.name : undefined;
  }

  private async env() {
    return this.user ? await userEnv(this.host, this.user) : undefined;
  }

  async podman(args: string[], timeoutMs = 60000): Promise<CommandResult> {
    return this.host.run(["podman", ...args], { user: this.asUser(), env: await this.env(), timeoutMs });
  }

  private async ok(args: string[]): Promise<string> {
    const r = await this.podman(args);
    if (r.exitCode !== 0)
      throw new Error(
        `podman ${args.join(" ")}: ${(r.stderr || r.stdout).trim().split("\n").at(-1) ?? `exit ${r.exitCode}`}`,
      );
    return r.stdout.trim();
  }

  async exists(name: string): Promise<boolean> {
    const r = await this.podman(["volume", "exists", name]);
    if (r.exitCode === 0) return true;
    if (r.exitCode === 1) return false;
    throw new Error(`podman volume exists ${name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }

  async labels(name: string): Promise<Record<string, string>> {
    const out = await this.ok(["volume", "inspect", "--format", "{{json .Labels}}", name]);
    return (JSON.parse(out || "{}") as Record<string, string> | null) ?? {};
  }

  async create(
    name: string,
    labels: Record<string, string> = {},
    options: Record<string, string> = {},
  ): Promise<void> {
    const args = ["volume", "create"];
    for (const [k, v] of Object.entries(labels)) args.push("--label", `${k}=${v}`);
    for (const [k, v] of Object.entries(options)) args.push("--opt", `${k}=${v}`);
    await this.ok([...args, name]);
  }

  /** Every volume with its labels and options, in one call (a call per volume costs ~0.1 s each). */
  async list(): Promise<PodmanVolume[]> {
    return (
      (JSON.parse((await this.ok(["volume", "ls", "--format", "json"])) || "[]") as PodmanVolume[] | null) ??
      []
    );
  }

  /** A volume's driver options (replace keeps them). */
  async options(name: string): Promise<Record<string, string>> {
    const out = await this.ok(["volume", "inspect", "--format", "{{json .Options}}", name]);
    return (JSON.parse(out || "{}") as Record<string, string> | null) ?? {};
  }

  /** Where this Podman keeps its volumes. */
  volumePath(): Promise<string> {
    return this.ok(["info", "--format", "{{.Store.VolumePath}}"]);
  }

  /** How to start a process of a copy pipeline: as the target user, inside its namespace, when rootless. */
  async spec(argv: string[]): Promise<Omit<PipedSpec, "stdin" | "stdout">> {
    const other = this.asUser() !== undefined && this.user !== null;
    const env = await this.env();
    if (!other || !this.user) return { argv: this.wrap(argv), env };
    // The caller's session variables belong to the caller; the user gets its own (as host.run does).
    return {
      argv: this.wrap(argv),
      uid: this.user.uid,
      gid: this.user.gid,
      env: {
        DBUS_SESSION_BUS_ADDRESS: undefined,
        XDG_CONFIG_HOME: undefined,
        XDG_RUNTIME_DIR: undefined,
        HOME: this.user.home,
        USER: this.user.name,
        LOGNAME: this.user.name,
        ...env,
      },
    };
  }

  mountpoint(name: string): Promise<string> {
    return this.ok(["volume", "inspect", "--format", "{{.Mountpoint}}", name]);
  }

  async remove(...names: string[]): Promise<void> {
    await this.ok(["volume", "rm", ...names]);
  }

  /** `podman args...` as the target user with piped stdin/stdout (image loads). */
  async spawnPodman(
    args: string[],
    signal?: AbortSignal,
    env: Record<string, string> = {},
  ): Promise<StreamingCommand> {
    return this.host.spawn(["podman", ...args], {
      user: this.asUser(),
      env: { ...((await this.env()) ?? {}), ...env },
      signal,
    });
  }

  /** argv as the target user (not in its namespace): files it must own, such as a load's spool folder. */
  async runAs(argv: string[], timeoutMs = 60000): Promise<CommandResult> {
    return this.host.run(argv, { user: this.asUser(), env: await this.env(), timeoutMs });
  }

  /** Runs argv as the target: directly for rootful, inside the user's namespace for rootless. */
  private wrap(argv: string[]): string[] {
    return this.user ? ["podman", "unshare", ...argv] : argv;
  }

  async spawnIn(argv: string[], signal?: AbortSignal): Promise<StreamingCommand> {
    return this.host.spawn(this.wrap(argv), { user: this.asUser(), env: await this.env(), signal });
  }

  /** GNU tar reading a tar stream into the folder, as argv. */
  static extractArgv(dir: string): string[] {
    return ["tar", "-C", dir, ...TAR_FLAGS, "--same-owner", "--same-permissions", "-xf", "-"];
  }

  /**
   * GNU tar writing the folder as a tar stream, as argv; sorted: in name order (for verification);
   * exclude: tar's arguments leaving files out (verification compares those directly).
   */
  static archiveArgv(dir: string, sorted = false, exclude: string[] = []): string[] {
    // A sorted tar feeds Node, which reads it to its end: records of 1 MiB (-b 2048) instead of
    // 10 KiB take tar a twentieth of the writes. Not for a tar into tar: the reader there stops
    // at the end-of-archive blocks and the padding after them would meet a closed pipe.
    const node = sorted ? ["--sort=name", "-b", "2048"] : [];
    return ["tar", "-C", dir, ...READ_FLAGS, ...node, ...exclude, "-cf", "-", "."];
  }

  /** GNU tar reading a tar stream into the folder, keeping owners, modes, times and xattrs. */
  extract(dir: string, signal?: AbortSignal) {
    return this.spawnIn(
      ["tar", "-C", dir, ...TAR_FLAGS, "--same-owner", "--same-permissions", "-xf", "-"],
      signal,
    );
  }

  /** The folder's content as a tar stream, for verification. */
  snapshot(dir: string, signal?: AbortSignal) {
    return this.spawnIn(PodmanTarget.archiveArgv(dir), signal);
  }

  /** Moves the staged data folder over the (empty) data folder of the final volume. */
  async move(from: string, to: string): Promise<void> {
    if (this.user === null && this.host.isLive) {
      // Rootful on this machine: rename(2) over the empty folder, then an empty one for the
      // staging volume's removal, without two processes (mv copies across filesystems).
      if (await moveFolder(from, to)) return;
    }
    for (const argv of [
      ["mv", "-T", from, to],
      ["mkdir", from],
    ]) {
      const r = await this.host.run(this.wrap(argv), {
        user: this.asUser(),
        env: await this.env(),
        timeoutMs: 60000,
      });
      if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.trim()}`);
    }
  }
}

/** Free bytes where the target keeps its volumes (the nearest folder that exists), or null. */
export async function freeSpace(
  host: Host,
  volumePath: string,
): Promise<{ path: string; free: number } | null> {
  let dir = volumePath;
  while (dir !== "/" && (await host.stat(dir))?.type !== "dir") dir = path.dirname(dir);
  if (host.isLive) {
    // statfs(2), what df reads, without a process per volume.
    const free = await freeBytes(dir);
    if (free !== null) return { path: dir, free };
  }
  const r = await host.run(["df", "-B1", "--output=avail", dir]);
  const free = Number(r.stdout.trim().split("\n").at(-1));
  return r.exitCode === 0 && Number.isFinite(free) ? { path: dir, free } : null;
}
