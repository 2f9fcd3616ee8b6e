// A host made of a scenario folder: files are read from the tree (it is the root), and
// everything a tree cannot hold (commands, sockets, owners and setuid bits, environment, the
// current user) comes from podlift-fixture.json in that folder. Commands run are recorded.
import { readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { notStarted } from "./results.js";
import { RootedFs } from "./rooted-fs.js";
import { RootedWriter } from "./rooted-writer.js";
import type {
  CommandResult,
  HostWriter,
  RunOptions,
  SocketProbe,
  SocketProbeOptions,
  StatInfo,
  StreamingCommand,
  TempTree,
  UserInfo,
  WritableHost,
} from "./types.js";

export interface FixtureCommand {
  argv: string[];
  /** Match any command that starts with argv. */
  prefix?: boolean;
  user?: string;
  exitCode?: number;
  stdout?: string;
  /** Path relative to the scenario folder whose content is the stdout. */
  stdoutFile?: string;
  stderr?: string;
  /** Never exits on its own: only the timeout or the abort signal ends it. */
  hang?: boolean;
}

export type FixtureSocket =
  | { state: "timeout"; connected?: boolean }
  | { state: "refused" | "permission-denied" }
  | { status: number; headers?: Record<string, string>; body?: string };

export interface FixtureSpec {
  user?: UserInfo;
  env?: Record<string, string>;
  stat?: Record<string, Partial<StatInfo>>;
  sockets?: Record<string, FixtureSocket>;
  commands?: FixtureCommand[];
}

export interface RecordedCall {
  argv: readonly string[];
  user?: string;
}

export const FIXTURE_FILE = "podlift-fixture.json";

export class FixtureHost implements WritableHost {
  readonly isLive = false;
  readonly fs: RootedFs;
  readonly calls: RecordedCall[] = [];
  readonly spec: FixtureSpec;

  constructor(
    readonly root: string,
    overrides: FixtureSpec = {},
  ) {
    this.root = path.resolve(root);
    this.fs = new RootedFs(this.root);
    let base: FixtureSpec = {};
    try {
      base = JSON.parse(readFileSync(path.join(this.root, FIXTURE_FILE), "utf8")) as FixtureSpec;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    this.spec = {
      user: overrides.user ?? base.user,
      env: { ...base.env, ...overrides.env },
      stat: { ...base.stat, ...overrides.stat },
      sockets: { ...base.sockets, ...overrides.sockets },
      commands: [...(overrides.commands ?? []), ...(base.commands ?? [])],
    };
  }

  /** Writes into the scenario folder itself: tests hand it a copy, never the committed tree. */
  writer(): HostWriter {
    return new RootedWriter(this.fs);
  }

  readFile(p: string) {
    if (path.posix.basename(p) === FIXTURE_FILE) return Promise.resolve(null);
    return this.fs.readFile(p);
  }
  listDir(p: string) {
    return this.fs.listDir(p).then((names) => names?.filter((n) => n !== FIXTURE_FILE) ?? null);
  }
  async stat(p: string) {
    return this.withOverride(p, await this.fs.stat(p));
  }
  readLink(p: string) {
    return this.fs.readLink(p);
  }
  async lstat(p: string) {
    return this.withOverride(p, await this.fs.stat(p, false));
  }
  async readSysctl(name: string) {
    const value = await this.fs.readFile(`/proc/sys/${name.replaceAll(".", "/")}`);
    return value === null ? null : value.trim();
  }
  env(name: string) {
    return this.spec.env?.[name];
  }
  currentUser(): UserInfo {
    return this.spec.user ?? { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/bash" };
  }

  async probeSocket(p: string, options: SocketProbeOptions = {}): Promise<SocketProbe> {
    const spec = this.spec.sockets?.[p];
    if (spec === undefined) return { state: "absent" };
    if ("state" in spec) {
      if (spec.state !== "timeout") return { state: spec.state, error: `fixture: ${spec.state}` };
      await delay(options.timeoutMs ?? 2000, options.signal);
      return { state: "timeout", timeoutMs: options.timeoutMs ?? 2000, connected: spec.connected ?? true };
    }
    return {
      state: "answered",
      status: spec.status,
      headers: spec.headers ?? {},
      body: spec.body ?? "",
      durationMs: 1,
    };
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({ argv, user: options.user });
    const entry = this.spec.commands?.find(
      (c) =>
        (c.user === undefined || c.user === options.user) &&
        (c.prefix ? argv.length >= c.argv.length : argv.length === c.argv.length) &&
        c.argv.every((a, i) => a === argv[i]),
    );
    if (entry === undefined) {
      return notStarted(argv, `${argv[0]}: command not found`, true);
    }
    if (entry.hang) {
      const timeoutMs = options.timeoutMs ?? 5000;
      await delay(timeoutMs, options.signal);
      return { argv, exitCode: null, stdout: "", stderr: "", durationMs: timeoutMs, timedOut: true };
    }
    const stdout =
      entry.stdoutFile === undefined
        ? (entry.stdout ?? "")
        : readFileSync(path.join(this.root, entry.stdoutFile), "utf8");
    return {
      argv,
      exitCode: entry.exitCode ?? 0,
      stdout,
      stderr: entry.stderr ?? "",
      durationMs: 1,
      timedOut: false,
    };
  }

  async makeTempTree(files: readonly string[], dirs: readonly string[], owner: UserInfo): Promise<TempTree> {
    this.calls.push({ argv: ["<temp-tree>", ...files, ...dirs], user: owner.name });
    return { path: "/tmp/podlift-fixture-tree", cleanup: async () => {} };
  }

  spawn(argv: readonly string[]): StreamingCommand {
    this.calls.push({ argv });
    const why = "fixture hosts do not stream commands: migration is tested against real engines";
    const stdout = new PassThrough();
    stdout.end();
    const stdin = new PassThrough();
    stdin.resume();
    return {
      stdin,
      stdout,
      kill: () => {},
      result: Promise.resolve(notStarted(argv, why)),
    };
  }

  private withOverride(p: string, info: StatInfo | null): StatInfo | null {
    const o = this.spec.stat?.[p];
    if (o === undefined) return info;
    return { type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, ...info, ...o };
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
