// The real machine. With --root other than "/" (the node's root mounted at /host), files are
// read under that root and commands run inside it through chroot, which needs root.
import { chmod, chown, copyFile, lstat, mkdir, mkdtemp, readdir, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { takeEarlyRun } from "./early.js";
import { guardCommand, killTree, newMarker, track, untrack } from "./process-group.js";
import { notStarted } from "./results.js";
import { RootedFs } from "./rooted-fs.js";
import { RootedWriter } from "./rooted-writer.js";
import { probeUnixSocket } from "./socket-probe.js";
import { removedAtExit } from "./temp-tree.js";
import type {
  CommandResult,
  HostWriter,
  RunOptions,
  SocketProbe,
  SocketProbeOptions,
  StreamingCommand,
  TempTree,
  UserInfo,
  WritableHost,
} from "./types.js";
import { lookupUser } from "./users.js";

const DEFAULT_TIMEOUT_MS = 5000;

export class LiveHost implements WritableHost {
  readonly fs: RootedFs;
  readonly isLive: boolean;
  private readonly me: UserInfo;
  /** Under --root: whether the root has a folder at each TMPDIR podlift had (asked once each). */
  private readonly tmpInRoot = new Map<string, Promise<boolean>>();

  constructor(
    readonly root = "/",
    private readonly environment: NodeJS.ProcessEnv = process.env,
  ) {
    this.root = path.resolve(root);
    this.fs = new RootedFs(this.root);
    this.isLive = this.root === "/";
    const info = os.userInfo();
    this.me = {
      name: info.username,
      uid: info.uid,
      gid: info.gid,
      home: info.homedir,
      shell: info.shell ?? "",
    };
  }

  /** The write side: only the fix engine asks for it. */
  writer(): HostWriter {
    return new RootedWriter(this.fs);
  }

  readFile(p: string) {
    return this.fs.readFile(p);
  }
  listDir(p: string) {
    return this.fs.listDir(p);
  }
  stat(p: string) {
    return this.fs.stat(p);
  }
  readLink(p: string) {
    return this.fs.readLink(p);
  }
  lstat(p: string) {
    return this.fs.stat(p, false);
  }
  async readSysctl(name: string) {
    const value = await this.fs.readFile(`/proc/sys/${name.replaceAll(".", "/")}`);
    return value === null ? null : value.trim();
  }
  env(name: string) {
    return this.environment[name];
  }
  currentUser() {
    return this.me;
  }

  async probeSocket(p: string, options?: SocketProbeOptions): Promise<SocketProbe> {
    const info = await this.fs.stat(p).catch(() => null);
    if (info === null) return { state: "absent" };
    if (info.type !== "socket") return { state: "not-socket", type: info.type };
    return probeUnixSocket(await this.fs.resolve(p), options);
  }

  async makeTempTree(files: readonly string[], dirs: readonly string[], owner: UserInfo): Promise<TempTree> {
    // Under --root the tree must live inside the root, where chroot'ed commands can see it.
    const base = this.isLive ? os.tmpdir() : await this.fs.resolve("/tmp");
    const top = await mkdtemp(path.join(base, "podlift-"));
    const { cleanup } = removedAtExit(top);
    try {
      await chmod(top, 0o755);
      for (const dir of dirs) await mkdir(path.join(top, dir), { recursive: true });
      for (const file of files) {
        const target = path.join(top, file);
        await mkdir(path.dirname(target), { recursive: true });
        const source = await this.fs.resolve(file);
        // Only regular files are copied: a FIFO here would block the copy forever.
        const info = await stat(source);
        if (!info.isFile()) throw new Error(`${file} is not a regular file`);
        await copyFile(source, target);
        await chmod(target, 0o755);
      }
      if (owner.uid !== this.me.uid) await chownTree(top, owner.uid, owner.gid);
    } catch (error) {
      await cleanup();
      throw error;
    }
    const hostPath = this.isLive ? top : `/tmp/${path.basename(top)}`;
    return { path: hostPath, cleanup };
  }

  spawn(argv: readonly string[], options: Omit<RunOptions, "timeoutMs" | "input"> = {}): StreamingCommand {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let child: { kill(): void } | undefined;
    const result = (async (): Promise<CommandResult> => {
      const started = performance.now();
      const prepared = await this.prepare(argv, options);
      if ("failed" in prepared) {
        stdout.end();
        stdin.resume();
        return prepared.failed;
      }
      const { execa } = await import("execa");
      const [file, ...args] = prepared.command as [string, ...string[]];
      const marker = newMarker();
      const proc = execa(file, args, {
        reject: false,
        detached: true,
        env: { ...prepared.env, PODLIFT_CHILD: marker },
        extendEnv: true,
        uid: prepared.uid,
        gid: prepared.gid,
        cwd: prepared.uid === undefined ? undefined : "/",
        stdin: "pipe",
        stdout: "pipe",
        buffer: { stdout: false, stderr: true },
        maxBuffer: { stderr: 1024 * 1024 },
      });
      if (proc.pid !== undefined) track(marker, proc.pid);
      const killAll = () => void killTree(proc.pid, marker);
      child = { kill: killAll };
      if (options.signal?.aborted) killAll();
      else options.signal?.addEventListener("abort", killAll, { once: true });
      stdin.pipe(proc.stdin as NodeJS.WritableStream);
      // A consumer that stops reading must not make the writer crash on EPIPE.
      proc.stdin?.on("error", () => {});
      stdin.on("error", () => {});
      proc.stdout?.pipe(stdout);
      // A process that exits before reading all its input must not leave the writer waiting.
      proc.on("exit", (code) => {
        if (!stdin.writableFinished)
          stdin.destroy(new Error(`${argv[0]} exited (${code}) before reading all its input`));
      });
      const r = await proc;
      untrack(marker);
      options.signal?.removeEventListener("abort", killAll);
      return {
        argv,
        exitCode: (r as { code?: string }).code === "ENOENT" ? 127 : (r.exitCode ?? null),
        stdout: "",
        stderr: String(r.stderr ?? ""),
        durationMs: Math.round(performance.now() - started),
        timedOut: false,
        notFound: (r as { code?: string }).code === "ENOENT",
      };
    })();
    return { stdin, stdout, result, kill: () => child?.kill() };
  }

  /** Resolves the user switch and the chroot every command goes through, or why it cannot run. */
  private async prepare(
    argv: readonly string[],
    options: { user?: string; env?: Record<string, string> },
  ): Promise<
    | { command: string[]; env: Record<string, string | undefined>; uid?: number; gid?: number }
    | { failed: CommandResult }
  > {
    const fail = (why: string) => ({ failed: notStarted(argv, why) });
    const command = [...argv];
    let uid: number | undefined;
    let gid: number | undefined;
    const env: Record<string, string | undefined> = { ...options.env };
    if (options.user !== undefined && options.user !== this.me.name) {
      if (this.me.uid !== 0) return fail(`running a command as ${options.user} needs root`);
      const user = await lookupUser(this, options.user);
      if (user === null) return fail(`no such user: ${options.user}`);
      uid = user.uid;
      gid = user.gid;
      // The caller's session variables belong to the caller; the other user gets its own.
      const session = {
        XDG_RUNTIME_DIR: undefined,
        DBUS_SESSION_BUS_ADDRESS: undefined,
        XDG_CONFIG_HOME: undefined,
      };
      Object.assign(env, session, { HOME: user.home, USER: user.name, LOGNAME: user.name }, options.env);
    }
    if (!this.isLive) {
      if (this.me.uid !== 0) return fail(`running commands under --root ${this.root} needs root (chroot)`);
      // podlift's TMPDIR names a folder of its own file system: where the root has no such folder,
      // podman in it fails to make its temporary files, so it gets the root's default instead.
      const tmp = process.env.TMPDIR;
      if (options.env?.TMPDIR === undefined && tmp) {
        let known = this.tmpInRoot.get(tmp);
        if (known === undefined) {
          known = this.stat(tmp).then(
            (info) => info?.type === "dir",
            () => false,
          );
          this.tmpInRoot.set(tmp, known);
        }
        if (!(await known)) env.TMPDIR = undefined;
      }
      // chroot(2) needs root: chroot itself switches to the user inside the root (with that
      // user's groups there), rather than starting chroot as the user.
      const userspec = uid === undefined ? [] : [`--userspec=${uid}:${gid}`];
      return { command: ["chroot", ...userspec, this.root, ...command], env, uid: undefined, gid: undefined };
    }
    return { command, env, uid, gid };
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    // The single file's head may have started this very command already (src/host/early.ts).
    const early =
      this.isLive && options.input === undefined
        ? takeEarlyRun(argv, options, this.me.name, DEFAULT_TIMEOUT_MS)
        : null;
    if (early) return early;
    // Nothing is started for a caller that has given up already (a check interrupted or past its
    // deadline): a `podman run` killed right after it starts can leave a container behind.
    if (options.signal?.aborted) return notStarted(argv, `${argv[0]}: not started, the run was stopped`);
    const started = performance.now();
    const prepared = await this.prepare(argv, options);
    if ("failed" in prepared) return prepared.failed;
    const { command, env, uid, gid } = prepared;
    // A program on no PATH folder is "command not found" without a fork (a few ms of the main
    // thread each in a big Node process: a doctor run asks for several that most hosts lack).
    if (this.isLive && (await absentFromPath(command[0] as string, env.PATH ?? process.env.PATH)))
      return notStarted(argv, `${argv[0]}: command not found`, true);
    const { execa } = await import("execa");
    const [file, ...args] = command as [string, ...string[]];
    const marker = newMarker();
    // Its own process group (detached), and our own deadline: execa's timeout would kill the
    // child alone and then wait for its children to close the output pipes, possibly forever.
    const proc = execa(file, args, {
      reject: false,
      detached: true,
      env: { ...env, PODLIFT_CHILD: marker },
      extendEnv: true,
      uid,
      gid,
      cwd: uid === undefined ? undefined : "/",
      input: options.input,
      stdin: options.input === undefined ? "ignore" : undefined,
      stripFinalNewline: false,
      maxBuffer: 8 * 1024 * 1024,
    });
    const guard = guardCommand({
      pid: proc.pid,
      marker,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: options.signal,
      stopGraceMs: options.stopGraceMs,
      startedAt: started,
      // Whatever still holds the pipes open (nothing should) must not keep us waiting.
      afterKill: () =>
        setTimeout(() => {
          proc.stdout?.destroy();
          proc.stderr?.destroy();
        }, 1000).unref(),
    });
    let result: Awaited<typeof proc>;
    try {
      result = await proc;
      // Past the output bound execa kills the child alone: its group goes too.
      if ((result as { isMaxBuffer?: boolean }).isMaxBuffer) await killTree(proc.pid, marker);
    } finally {
      guard.release();
    }
    const timedOut = guard.timedOut;
    // chroot reports a missing program as exit 127, execa as ENOENT.
    const notFound =
      (result as { code?: string }).code === "ENOENT" || (!this.isLive && result.exitCode === 127);
    return {
      argv,
      exitCode: notFound ? 127 : timedOut ? null : (result.exitCode ?? null),
      stdout: String(result.stdout ?? ""),
      stderr: String(result.stderr ?? ""),
      durationMs: Math.round(performance.now() - started),
      timedOut,
      failedToStart: notFound ? `${argv[0]}: command not found` : undefined,
      notFound,
    };
  }
}

/**
 * Whether `name` (no "/") is surely not on PATH: nothing of that name in any of its folders. A
 * PATH with an empty or relative entry (the working folder) is left to the real lookup, as is a
 * file that is there (executable or not: spawn tells).
 */
export async function absentFromPath(name: string, pathVar: string | undefined): Promise<boolean> {
  if (name.includes("/") || pathVar === undefined) return false;
  const dirs = pathVar.split(":");
  if (dirs.some((d) => !d.startsWith("/"))) return false;
  const found = await Promise.all(dirs.map((d) => lookIn(d, path.join(d, name))));
  // A folder that did not answer may hold it: spawn looks (in the child, under its deadline).
  return !found.includes(true) && !found.includes("slow");
}

/** Per PATH folder: the last lookup asked of it (each waits for the one before). */
const lookups = new Map<string, Promise<boolean | "slow">>();
const ownSlowDirs = new Set<string>();
/** PATH folders that did not answer within a second, the head's (scripts/head-early.cjs) too. */
const slowDirs = () => globalThis.__podliftEarly?.slowDirs ?? ownSlowDirs;

/**
 * Whether `file` is there (an lstat that finds it or fails other than ENOENT/ENOTDIR), or "slow":
 * its folder did not answer within a second, now or before. One lookup at a time per folder: a
 * folder on a hung file system (a dead NFS or automount in PATH) holds one of Node's four pool
 * threads for good (a stuck stat cannot be taken back), never all of them, and is then asked
 * nothing more.
 */
function lookIn(dir: string, file: string): Promise<boolean | "slow"> {
  const there = (error: NodeJS.ErrnoException) => error.code !== "ENOENT" && error.code !== "ENOTDIR";
  const op = (lookups.get(dir) ?? Promise.resolve(true)).then(async () => {
    if (slowDirs().has(dir)) return "slow" as const;
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<"slow">((resolve) => {
      timer = setTimeout(() => {
        slowDirs().add(dir);
        resolve("slow");
      }, 1000);
    });
    try {
      return await Promise.race([lstat(file).then(() => true, there), slow]);
    } finally {
      clearTimeout(timer);
    }
  });
  lookups.set(dir, op);
  return op;
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid, gid);
    else await chown(p, uid, gid);
  }
}
