// The Host is the only door to the machine: checks see the world through it, so a fixture
// folder can stand in for a real host in tests (see ARCHITECTURE.md, "Host").

export type FileType = "file" | "dir" | "symlink" | "socket" | "char" | "block" | "fifo" | "other";

export interface StatInfo {
  type: FileType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

export interface CommandResult {
  argv: readonly string[];
  /** Exit code; 127 when the program was not found, null when killed by a signal or a timeout. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** Set when the command could not be started at all (not found, permission denied). */
  failedToStart?: string;
  /** The program does not exist on the host. */
  notFound?: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Run as this user (by name). The live host needs root for a user other than the current one. */
  user?: string;
  env?: Record<string, string>;
  input?: string;
  signal?: AbortSignal;
  /**
   * Told to stop by `signal` before it is this old (ms since it really started), the command is
   * let run until then, or its end, before its group is killed. Its deadline still kills at once.
   * For `podman run`: killed in its first ~100 ms, Podman 4.3 leaves its network namespace behind.
   */
  stopGraceMs?: number;
}

export interface SocketProbeOptions {
  method?: "GET" | "HEAD";
  path?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What an HTTP request over a unix socket found; never thrown, always a value. */
export type SocketProbe =
  | { state: "absent" }
  | { state: "not-socket"; type: FileType }
  | { state: "refused" | "permission-denied" | "error"; error: string }
  | { state: "timeout"; timeoutMs: number; connected: boolean }
  | {
      state: "answered";
      status: number;
      headers: Record<string, string>;
      body: string;
      durationMs: number;
    };

export interface UserInfo {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface Host {
  /** The folder every path is resolved under: "/" on a live host, a fixture folder in tests. */
  readonly root: string;
  /** True when this is the machine podlift runs on (root "/"), so commands and probes act on it. */
  readonly isLive: boolean;
  readFile(path: string): Promise<string | null>;
  listDir(path: string): Promise<string[] | null>;
  stat(path: string): Promise<StatInfo | null>;
  /** Same as stat but does not follow a final symlink. */
  lstat(path: string): Promise<StatInfo | null>;
  /** A symbolic link's target as written (not followed), or null when it is no link or absent. */
  readLink(path: string): Promise<string | null>;
  /** Reads /proc/sys/<name with dots as slashes>, trimmed; null when the kernel has no such key. */
  readSysctl(name: string): Promise<string | null>;
  /** Runs argv without a shell. Never throws: failures are values. */
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  probeSocket(path: string, options?: SocketProbeOptions): Promise<SocketProbe>;
  env(name: string): string | undefined;
  /** The user podlift runs as. */
  currentUser(): UserInfo;
  /**
   * Copies host files (links followed) into a new temporary folder, with empty folders added,
   * owned by `owner`: a throwaway root filesystem for a canary container. Never touches the
   * copied files; `cleanup` removes the folder.
   */
  makeTempTree(files: readonly string[], dirs: readonly string[], owner: UserInfo): Promise<TempTree>;
}

/**
 * The write side of a host, handed only to the fix engine (and later migration). Every path is
 * resolved under the host's root like the read side.
 */
export interface HostWriter {
  /**
   * Temporary file in the same folder, fsync, rename: the file is whole or untouched. Missing
   * folders are created; a writer may report which (host paths, outermost first), so the fix
   * journal can remove them again on undo.
   */
  writeFile(
    path: string,
    content: string | Buffer,
    mode: number,
    owner?: { uid: number; gid: number },
    // biome-ignore lint/suspicious/noConfusingVoidType: writers that report nothing stay valid
  ): Promise<void | WriteReport>;
  removeFile(path: string): Promise<void>;
  writeSysctl(key: string, value: string): Promise<void>;
  /** Raw bytes, for backups that must come back byte for byte. */
  readBytes(path: string): Promise<Buffer | null>;
  /** Creates the file only if it does not exist (a lock); false when it does. */
  createExclusive(path: string, content: string): Promise<boolean>;
  /**
   * Optional folder and rename operations the fix engine uses when a writer has them: a rename
   * in one folder (taking over a stale lock), and removing a folder only when it is empty (true
   * when removed; false when absent, not empty or not a folder).
   */
  rename?(from: string, to: string): Promise<void>;
  removeEmptyDir?(path: string): Promise<boolean>;
}

/** What a write did beyond the file itself. */
export interface WriteReport {
  /** Folders the write created (host paths, outermost first); empty when all existed. */
  createdDirs: string[];
}

/** A command whose standard input and output are streams (migration's tar pipes). */
export interface StreamingCommand {
  stdin: import("node:stream").Writable;
  stdout: import("node:stream").Readable;
  /** Settles when the process exits; never rejects. stdout is not collected. */
  result: Promise<CommandResult>;
  kill(): void;
}

/** A host podlift may change: only the fix engine and migration are handed one. */
export interface WritableHost extends Host {
  writer(): HostWriter;
  /** Starts argv with piped stdin/stdout, as `user` when given; no timeout (streams can be long). */
  spawn(argv: readonly string[], options?: Omit<RunOptions, "timeoutMs" | "input">): StreamingCommand;
}

export interface TempTree {
  path: string;
  cleanup(): Promise<void>;
}
