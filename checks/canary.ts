// Static checks can pass while containers still fail to start (moby#47480), so podlift starts
// a real container: offline, nothing pulled, from a throwaway root filesystem of host binaries
// (/usr/bin/true and its libraries), rootful and for the target user, with the default network
// and, when that fails, without one. A failure is classified into a cause and a remedy.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (--rootfs)

import { setTimeout as sleep } from "node:timers/promises";
import coerce from "semver/functions/coerce.js";
import gte from "semver/functions/gte.js";
import { CANARY_LABEL_KEY, userEnv } from "../src/doctor/podman-facts.js";
import { within } from "../src/doctor/runner.js";
import type { Check, CheckContext, Finding } from "../src/doctor/types.js";
import { trackCleanup } from "../src/host/cleanups.js";
import { takeEarlyCanary } from "../src/host/early.js";
import { allowedUlimits } from "../src/host/limits.js";
import type { CommandResult, Host, RunOptions, TempTree, UserInfo } from "../src/host/types.js";
import { classify, errorLine } from "../src/parse/classify.js";
import { findBinary } from "../src/parse/distro.js";
import { mappedIds, ownRanges, uidMapLines } from "../src/parse/subid.js";
import { safeLine, shellQuote } from "../src/text/safe-text.js";

export const CANARY_BINARY = "/usr/bin/true";
/** On every canary container, for whoever finds one (`podman ps -a --filter label=io.podlift.canary`). */
export const CANARY_LABEL = `${CANARY_LABEL_KEY}=true`;
const DIRS = ["etc", "dev", "proc", "sys", "run", "tmp"];
const RUN_TIMEOUT_MS = 25000;
/** Until how old a container run told to stop is let go on before it is killed (runAndRemove). */
const STOP_GRACE_MS = 1500;

/** How long a run no check took over may go on before it is stopped (discardEarlyCanary). */
const DISCARD_WAIT_MS = 3000;

const NO_PODMAN: Finding = {
  code: "canary.no-podman",
  status: "fail",
  message: "No container can start: Podman is not installed.",
};

export const check: Check = {
  id: "canary",
  title: "Canary container",
  docs: "docs/checks/canary.md",
  timeoutMs: 60000,
  applies: () => true,
  async run(ctx) {
    const { host, facts } = ctx;
    // The long limit is for `podman run` alone: finding podman keeps to the run's --timeout.
    const prepMs = ctx.timeoutMs ?? RUN_TIMEOUT_MS;
    const me = host.currentUser();
    const users = canaryUsers(me, facts.targetUser);
    // Podman must answer within --timeout first (one that never does must not cost the canary's
    // 60 s): with its version (read from `podman info`, which a doctor run has asked for already),
    // or by the end of every container run started early (startCanaryEarly) for these users. The
    // runs stay where they are until then: on a failure here they are discarded with the rest.
    const launched = users.flatMap((user) => early.get(earlyKey(host, user)) ?? []);
    const version = facts.podman.version().then((v) => v !== null);
    // Every early run ended: podman is there unless none found it (a launch that failed is the
    // check's to report below, as it takes the launch over).
    const ran = Promise.all(
      launched.map((l) =>
        l
          .then((started) => started.networked.result)
          .then(
            (r) => !r.notFound,
            () => true,
          ),
      ),
    ).then((found) => found.some(Boolean));
    // Either answer will do: a version that cannot be read is no reason to stop the runs.
    const found =
      launched.length === 0
        ? version
        : Promise.race([version.catch(() => new Promise<boolean>(() => {})), ran]);
    if (!(await within(found, prepMs, "`podman --version` or the first `podman run`"))) return [NO_PODMAN];
    if (users.length === 0) {
      return [
        {
          code: "canary.cannot-switch-user",
          status: "warn",
          message: `Cannot start a container as ${facts.targetUser.name} while running as ${me.name}.`,
          remedy: `Run podlift as ${facts.targetUser.name}, or as root with --user ${shellQuote(facts.targetUser.name)}.`,
        },
      ];
    }
    let libraries: Promise<string[]> | undefined;
    const launches = users.map((user) => {
      const early = takeEarly(host, user);
      // The early runs obey this check's deadline and interrupt, as its own runs would.
      if (early)
        return early.then((started) => {
          follow(started.stop, ctx.signal);
          return started;
        });
      libraries ??= within(sharedLibraries(host, ctx.signal), prepMs, "`ldd /usr/bin/true`");
      return libraries.then((libs) => launch(host, user, libs, ctx.signal));
    });
    const findings = (
      await Promise.all(launches.map((l) => l.then((started) => canaryFor(ctx, started))))
    ).flat();
    return [...findings, ...(await leftovers(ctx))];
  },
};

/** Who the canary starts containers as: root when podlift runs as root, and a rootless target. */
export function canaryUsers(me: UserInfo, target: UserInfo): UserInfo[] {
  const users: UserInfo[] = [];
  if (me.uid === 0) users.push(me);
  if (target.uid !== 0 && (me.uid === 0 || me.name === target.name)) users.push(target);
  return users;
}

async function sharedLibraries(host: Host, signal?: AbortSignal): Promise<string[]> {
  const ldd = await host.run(["ldd", CANARY_BINARY], { timeoutMs: 3000, signal });
  if (ldd.exitCode !== 0) return []; // statically linked, or no ldd: the binary alone may do
  return [...ldd.stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1] as string);
}

type Run = { argv: string[]; result: Promise<CommandResult> };

/** The canary's tree for one user, and its two runs started (without and with a network). */
interface Launch {
  /** Ends the runs (and kills their process groups): the check's deadline, or no check took them. */
  stop: AbortController;
  user: UserInfo;
  tree: TempTree;
  env: Record<string, string> | undefined;
  /** The run without a network: started only when the network run fails (see canaryFor). */
  plain: () => Run;
  networked: Run;
}

/** A canary the single file's head started (src/host/early.ts): its tree, name and environment. */
type HeadCanary = NonNullable<ReturnType<typeof takeEarlyCanary>>;

async function launch(
  host: Host,
  user: UserInfo,
  libraries: string[],
  outer?: AbortSignal,
  head?: HeadCanary,
): Promise<Launch> {
  const stop = new AbortController();
  follow(stop, outer);
  const signal = stop.signal;
  const tree = head?.tree ?? (await host.makeTempTree([CANARY_BINARY, ...libraries], DIRS, user));
  try {
    const asUser = user.name === host.currentUser().name ? undefined : user.name;
    // The head's run is taken over (LiveHost.run) for the same argv, user and environment.
    const env = head ? head.env : await userEnv(host, user);
    const start = (network: "none" | "default", name?: string): Run => {
      const argv = [
        "podman",
        "run",
        "--rm",
        ...(network === "none" ? ["--network", "none"] : []),
        "--rootfs",
        tree.path,
        CANARY_BINARY,
      ];
      return {
        argv,
        result: runContainer(host, argv, { timeoutMs: RUN_TIMEOUT_MS, user: asUser, env, signal }, name),
      };
    };
    // The network run first, alone: where it starts, a run without a network needs no proof
    // (one podman run fewer on a healthy host, where a doctor run's time goes to Podman).
    let plain: Run | undefined;
    return {
      stop,
      user,
      tree,
      env,
      plain: () => (plain ??= start("none")),
      networked: start("default", head?.name),
    };
  } catch (error) {
    await tree.cleanup();
    throw error;
  }
}

/** The names of the containers this process started (runContainer): not leftovers. */
const ownNames = new Set<string>();

/**
 * Canary containers of earlier runs still in the target's store: a run killed before Podman's
 * --rm acted (podlift itself killed, or the removal after a kill did not finish in its second).
 * Also those only in Podman's storage (containers.json of the graph root): a `podman run` killed
 * while creating leaves one there that `podman ps -a` does not list (`--external` does).
 * Said, with the command that removes them; the doctor removes nothing itself.
 */
async function leftovers(ctx: CheckContext): Promise<Finding[]> {
  const { facts } = ctx;
  const listed = await facts.podman.containers(facts.targetUser);
  if (!listed.ok) return [];
  const now = Date.now() / 1000;
  const names = staleCanaries(listed.canary, ownNames, now);
  const inDb = new Set(listed.canary.map((c) => c.name));
  const stored = (await storedCanaries(ctx)).filter((c) => !inDb.has(c.name));
  const storageOnly = new Set(staleCanaries(stored, ownNames, now));
  const shortIds = new Map(stored.map((c) => [c.name, c.id.slice(0, 12)]));
  // Those only in storage first: no `podman ps -a` shows them.
  const all = [...[...storageOnly].sort(), ...names];
  if (all.length === 0) return [];
  const shown = all.slice(0, 10);
  // A container only in storage is removed by its id.
  const removable = shown.map((n) => (storageOnly.has(n) ? (shortIds.get(n) ?? n) : n));
  return [
    {
      code: "canary.leftovers",
      status: "warn",
      message:
        `${all.length} container(s) left by an earlier podlift canary whose podman run was killed before --rm: ${shown.map((n) => safeLine(n)).join(", ")}${all.length > shown.length ? " …" : ""}` +
        (storageOnly.size > 0
          ? ` (${storageOnly.size} only in Podman's storage, as a run killed while creating leaves them: \`podman ps -a --external\` lists them).`
          : "."),
      evidence: {
        containers: shown.map((n) => safeLine(n)),
        count: all.length,
        label: CANARY_LABEL,
        ...(storageOnly.size > 0 ? { storageOnly: storageOnly.size } : {}),
      },
      remedy: `Remove them${facts.rootful ? "" : ` as ${facts.targetUser.name}`}: podman rm --force ${removable.map((n) => shellQuote(n)).join(" ")}`,
    },
  ];
}

/**
 * The canary containers in containers/storage's list of the target's graph root (from
 * `podman info`), with their ids and creation times; [] when it cannot be read.
 */
async function storedCanaries({
  host,
  facts,
}: CheckContext): Promise<{ name: string; id: string; createdAt: number | null }[]> {
  const info = await facts.podman.info(facts.targetUser);
  const store = info.ok ? info.info.store : undefined;
  const root = store?.graphRoot;
  const driver = store?.graphDriverName;
  if (!root?.startsWith("/") || !driver || !/^[a-z0-9-]+$/.test(driver)) return [];
  let text: string | null;
  try {
    text = await host.readFile(`${root}/${driver}-containers/containers.json`);
  } catch {
    return []; // unreadable (too large, not a file, a file system that did not answer)
  }
  // Parsed only when a canary is named in it: on a host of many containers it is megabytes.
  if (!text?.includes("podlift-canary-")) return [];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: { name: string; id: string; createdAt: number | null }[] = [];
  for (const c of list as { id?: unknown; names?: unknown; created?: unknown }[]) {
    const names = Array.isArray(c?.names) ? c.names : [];
    const name = names.find((n): n is string => typeof n === "string" && CANARY_NAME.test(n));
    if (!name || typeof c.id !== "string" || !/^[0-9a-f]{12,64}$/.test(c.id)) continue;
    const at = typeof c.created === "string" ? Date.parse(c.created) : Number.NaN;
    out.push({ name, id: c.id, createdAt: Number.isNaN(at) ? null : at / 1000 });
  }
  return out;
}

/** What canaryName makes. */
const CANARY_NAME = /^podlift-canary-[0-9a-f]{12}$/;

/**
 * The canary containers listed that this process did not start and that are older than any
 * canary run lasts (another podlift running beside this one is not a leftover).
 */
export function staleCanaries(
  listed: { name: string; createdAt: number | null }[],
  own: ReadonlySet<string>,
  nowSeconds: number,
): string[] {
  const oldest = nowSeconds - (2 * RUN_TIMEOUT_MS) / 1000;
  return listed
    .filter((c) => !own.has(c.name) && (c.createdAt === null || c.createdAt < oldest))
    .map((c) => c.name)
    .sort();
}

/**
 * A fresh canary container name: podlift-canary- and 12 hex digits. Unique, not secret, so from
 * Math.random (V8 seeds it from the system's entropy): node:crypto is not loaded for it (~1.5 ms
 * of a doctor run, issue 14). The head names its early canaries the same way.
 */
export function canaryName(): string {
  const half = () =>
    Math.floor(Math.random() * 0x1000000)
      .toString(16)
      .padStart(6, "0");
  return `podlift-canary-${half()}${half()}`;
}

/**
 * `podman run` of a canary container, named and labelled so that one killed at its deadline or by
 * an interrupt (podman then never reaches its --rm) is removed afterwards: a doctor run leaves no
 * container behind. The name goes after the run's flags, before --rootfs.
 */
function runContainer(
  host: Host,
  argv: string[],
  options: RunOptions,
  name = canaryName(),
): Promise<CommandResult> {
  ownNames.add(name);
  const done = runAndRemove(host, argv, options, name);
  // podlift waits for it before it exits: a check interrupted or past its deadline is not waited
  // for, and exiting would kill the removal of a run it killed.
  trackCleanup(done);
  return done;
}

async function runAndRemove(
  host: Host,
  argv: string[],
  options: RunOptions,
  name: string,
): Promise<CommandResult> {
  const run = argv.indexOf("run");
  const at = argv.indexOf("--rootfs");
  const named = [...argv.slice(0, at), "--name", name, "--label", CANARY_LABEL, ...argv.slice(at)];
  // Told to stop (Ctrl-C, SIGTERM, the check's deadline) in its first STOP_GRACE_MS, the run is
  // let go on until then, or its end: killed in its first ~100 ms, Podman 4.3 leaves the network
  // namespace it made (/run/netns/netns-…) behind, which `podman rm` does not remove (measured
  // here: 11 of 20 kills). A working run ends within ~0.3 s; a hung one is older than that by its
  // deadline, and is killed at once. Told before it starts, nothing starts (LiveHost.run).
  const r = await host.run(named, { ...options, stopGraceMs: STOP_GRACE_MS });
  // Killed, or told to stop: Podman exits on SIGTERM by itself (an exit code, not a signal), and
  // one stopped mid-create never reaches its --rm.
  if (r.exitCode === null || options.signal?.aborted) {
    const { signal: _killed, ...rest } = options;
    // Briefly (1 s, ~0.15 s for a working podman): the run was killed at its deadline or by Ctrl-C,
    // and a stuck podman answers no rm either; the doctor must end within its --timeout. Right
    // after the kill, Podman 4.3 may fail it ("unlinkat …/userdata/shm: device or resource busy")
    // and succeed a moment later: two more tries then.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await sleep(200);
      const rm = await host.run([...argv.slice(0, run), "rm", "--force", "--ignore", name], {
        ...rest,
        timeoutMs: 1000,
      });
      if (rm.exitCode === 0 || rm.exitCode === null || rm.notFound) break;
    }
  }
  // Reported as the command a person would type: the name is this run's alone.
  return { ...r, argv };
}

/** Aborts `stop` when `signal` aborts (now, if it has). */
function follow(stop: AbortController, signal: AbortSignal | undefined): void {
  if (!signal) return;
  if (signal.aborted) stop.abort();
  else signal.addEventListener("abort", () => stop.abort(), { once: true });
}

/** Launches started before the checks loaded (startCanaryEarly), by host root and user. */
const early = new Map<string, Promise<Launch>>();
const earlyKey = (host: Host, user: UserInfo) => `${host.root}\0${user.name}`;

function takeEarly(host: Host, user: UserInfo): Promise<Launch> | undefined {
  const key = earlyKey(host, user);
  const found = early.get(key);
  early.delete(key);
  return found;
}

/**
 * Starts the canary's containers for a doctor run before the checks, the fixes and the rest of
 * podlift load, beside `podman info` (startPodmanEarly): its runs are the slowest part of a run.
 * Resolves once they are started (the caller loads the rest then: module loading and the tree's
 * file copies share Node's thread pool). The check takes them over; discardEarlyCanary removes
 * what no check took (a run that ended before its checks, on a usage error).
 */
export async function startCanaryEarly(host: Host, target: UserInfo): Promise<void> {
  const me = host.currentUser();
  const users = canaryUsers(me, target);
  if (users.length === 0) return;
  let libraries: Promise<string[]> | undefined;
  const librariesOnce = () => {
    libraries ??= sharedLibraries(host);
    return libraries;
  };
  const launches = users.map((user) => {
    // Started by the single file's head already, on the live root.
    const head = host.root === "/" ? takeEarlyCanary(user.name === me.name ? undefined : user.name) : null;
    const started = head
      ? launch(host, user, [], undefined, head)
      : librariesOnce().then((libs) => launch(host, user, libs));
    early.set(earlyKey(host, user), started);
    return started;
  });
  // A failure is the check's to report, when it takes the launch over.
  await Promise.allSettled(launches);
}

/**
 * Ends the runs no check took over and removes their trees. Before a doctor run (a usage error, a
 * podlift.json skip, a wizard that ends first) they are let end, since killing `podman run`
 * mid-create is what leaves a container behind, and stopped only after DISCARD_WAIT_MS. After a
 * doctor run (`now`: its canary check never got to them, a hung podman) they are stopped at once.
 */
export async function discardEarlyCanary(options: { now?: boolean } = {}): Promise<void> {
  const left = [...early.values()];
  early.clear();
  await Promise.all(
    left.map(async (l) => {
      const started = await l.catch(() => null);
      if (!started) return;
      const late = setTimeout(() => started.stop.abort(), options.now ? 0 : DISCARD_WAIT_MS);
      await started.networked.result.catch(() => null);
      clearTimeout(late);
      await started.tree.cleanup();
    }),
  );
}

async function canaryFor(ctx: CheckContext, started: Launch): Promise<Finding[]> {
  const { host } = ctx;
  const { user, tree, env, plain, networked } = started;
  const mode = user.uid === 0 ? "rootful" : `rootless (${user.name})`;
  let storageEarly: Promise<Finding[]> | null = null;
  try {
    const asUser = user.name === host.currentUser().name ? undefined : user.name;
    const as = { asUser, env };
    const plainArgv = ["podman", "run", "--rm", "--network", "none", "--rootfs", tree.path, CANARY_BINARY];
    // A rootless store on vfs: overlay is tried beside the two runs, not after them (on a healthy
    // host the plain run starts and this is the answer; otherwise it is tried again below).
    storageEarly =
      user.uid === 0 ? null : slowStorage(ctx, user, plainArgv, as, null).catch(() => [] as Finding[]);
    // The network run is judged after the plain one, whose remedies it may need as well.
    const out: Finding[] = [];
    /** What made the plain run start after it failed, tried again for the network run. */
    let plainWorks: Candidate | null | undefined;
    let plainCause = "";
    /** The network run with plainWorks, started as soon as that is known. */
    let networkAgain: Promise<Tried> | null = null;
    const judge = async (network: "none" | "default", argv: string[], r: CommandResult, implied = false) => {
      const scope = network === "none" ? "without a network" : "with the default network";
      if (r.exitCode === 0) {
        out.push({
          code: network === "none" ? "canary.ok" : "canary.network-ok",
          status: "pass",
          message: implied
            ? `A ${mode} container starts ${scope}: it starts with the default network (${r.durationMs} ms).`
            : `A ${mode} container starts ${scope} (${r.durationMs} ms).`,
          evidence: {
            mode,
            command: argv.join(" "),
            durationMs: r.durationMs,
            ...(implied ? { implied } : {}),
          },
        });
        return;
      }
      let failure = { stderr: r.stderr, timedOut: r.timedOut, exitCode: r.exitCode };
      let base: Candidate | null = null;
      const before: string[] = [];
      if (network === "default" && plainWorks !== undefined) {
        // The plain run failed for the same reason: say it once, unless its remedies got it to
        // start; then the network run is tried with them, and what stops it next is its own cause.
        if (plainWorks === null) return;
        const again = await (networkAgain ?? tryCandidate(ctx, user, argv, plainWorks, as));
        if (again.started || again.timedOut || classify(again.stderr).code === plainCause) return;
        before.push(again.line);
        failure = { stderr: again.stderr, timedOut: again.timedOut, exitCode: again.exitCode };
        base = plainWorks;
      }
      const why = failure.timedOut
        ? {
            code: "timeout",
            cause: `podman run did not finish within ${RUN_TIMEOUT_MS} ms.`,
            remedy:
              "Look for a hung podman process or a stuck storage lock (podman ps --all, podman system migrate).",
          }
        : classify(failure.stderr);
      // The remedies for this cause, tried in the same throwaway tree with per-run flags: only
      // what really made the container start is offered as a fix (evidence.proven). A try that
      // gets past this cause and stops on another goes on with that cause's remedies on top.
      const chain = failure.timedOut
        ? { tried: [], proven: [], shown: "", works: null }
        : await explore(ctx, user, argv, why.code, failure.stderr, as, base, base ? 1 : 0);
      if (network === "none") {
        plainWorks = chain.works;
        plainCause = why.code;
        // The network run most likely fails the same way: its try with the remedy starts now,
        // beside whatever the first network run is still doing, and is used only if that fails.
        if (plainWorks) networkAgain = tryCandidate(ctx, user, networked.argv, plainWorks, as);
      }
      const tried = [...before, ...chain.tried];
      out.push({
        code: network === "none" ? "canary.failed" : "canary.network-failed",
        status: "fail",
        message: `A ${mode} container fails to start ${scope}${base ? ` (with ${describe(base)}, which made it start without one)` : ""}: ${why.cause}${chain.shown}`,
        evidence: {
          mode,
          command: argv.join(" "),
          exitCode: failure.exitCode,
          error: errorLine(failure.stderr),
          cause: why.code,
          ...(tried.length > 0 ? { tried, proven: chain.proven } : {}),
        },
        remedy: why.remedy,
      });
    };
    const networkResult = await networked.result;
    if (networkResult.notFound) return [NO_PODMAN];
    // A container that starts with a network starts without one: that run is not made.
    const plainRun = networkResult.exitCode === 0 ? null : plain();
    const plainResult = plainRun ? await plainRun.result : networkResult;
    await judge("none", plainRun?.argv ?? networked.argv, plainResult, plainRun === null);
    try {
      await judge("default", networked.argv, networkResult);
    } finally {
      await networkAgain; // its throwaway store (if any) is removed by its own try
    }
    // A rootless store on vfs is said either way: when the plain run needed remedies to start,
    // overlay is tried on top of them (a fix that unmasks the warning must not look like its cause).
    const early = (await storageEarly) ?? [];
    if (plainResult.exitCode === 0) out.push(...early);
    else if (user.uid !== 0 && plainWorks)
      out.push(...(await slowStorage(ctx, user, plainArgv, as, plainWorks)));
    if (user.uid !== 0 && (plainResult.exitCode === 0 || plainWorks))
      out.push(...(await staleMapping(ctx, user, plainArgv, as, plainWorks ?? null)));
    return out;
  } finally {
    await storageEarly; // its throwaway store lives in its own folder, its rootfs is this tree
    await tree.cleanup();
  }
}

/** Who a try runs as: the target user (undefined: podlift's own) and that user's environment. */
type As = { asUser: string | undefined; env: Record<string, string> | undefined };

interface Candidate {
  flags: string[];
  /** Podman's global flags, before `run` (a throwaway store: --root, --storage-driver). */
  global?: string[];
  /** A throwaway store for this try, made beside the tree and removed after it. */
  store?: boolean;
  /** Appended to the --rootfs path (":O" mounts the tree through the store's overlay driver). */
  rootfsSuffix?: string;
  /** Run by root instead of the target user: what only the user's permissions keep from starting. */
  asRoot?: boolean;
  /** How the try is told in the message and the evidence (default: "With <flags>"). */
  label?: string;
  /** The fix that makes these flags the default, or null for a diagnosis only. */
  fix: string | null;
  /** What a start with these flags tells, when it is no fix. */
  diagnosis?: string;
  /** What the fix does, after "podlift fix --only <fix>" (default: "makes that the default"). */
  offer?: string;
  /** The fixes of the candidates this one is tried on top of (a chain of causes). */
  before?: string[];
  /** A throwaway runtime dir too (with the store): a fresh pause process, a fresh namespace. */
  freshRuntime?: boolean;
}

interface Tried {
  started: boolean;
  /** Ids the fresh namespace maps (freshRuntime tries), null when unknown. */
  mapped: number | null;
  durationMs: number;
  /** For evidence.tried: what was tried and how it ended. */
  line: string;
  label: string;
  stderr: string;
  timedOut: boolean;
  exitCode: number | null;
}

interface Chain {
  tried: string[];
  /** The fixes whose flags, together, made the container start. */
  proven: string[];
  /** The sentence added to the finding's message. */
  shown: string;
  /** The first candidate (with what it was combined with) that started a container. */
  works: Candidate | null;
}

/** How many causes deep a chain of remedies goes (rlimit, then crun's cgroups, then ...). */
const CHAIN_DEPTH = 3;

/**
 * Tries the remedies for a cause, each on top of `base` (what got past earlier causes). A try
 * that fails for a new cause, with a fix behind it, goes on with that cause's remedies.
 */
async function explore(
  ctx: CheckContext,
  user: UserInfo,
  argv: string[],
  cause: string,
  stderr: string,
  as: As,
  base: Candidate | null,
  depth: number,
): Promise<Chain> {
  const out: Chain = { tried: [], proven: [], shown: "", works: null };
  for (const candidate of await candidatesFor(ctx, user, cause, stderr)) {
    const combined = base ? combine(base, candidate) : candidate;
    const t = await tryCandidate(ctx, user, argv, combined, as);
    out.tried.push(t.line);
    const fixes = fixesOf(combined);
    if (t.started) {
      if (candidate.fix) for (const f of fixes) if (!out.proven.includes(f)) out.proven.push(f);
      out.shown ||= ` ${t.label} it starts (${t.durationMs} ms)${candidate.fix ? `: ${fixCommand(fixes)} ${candidate.offer ?? "makes that the default"}` : `, which ${candidate.diagnosis}`}.`;
      if (candidate.fix) out.works ??= combined;
      continue;
    }
    const next = t.timedOut ? null : classify(t.stderr).code;
    if (candidate.fix && next !== null && next !== cause && next !== "unknown" && depth + 1 < CHAIN_DEPTH) {
      const deeper = await explore(ctx, user, argv, next, t.stderr, as, combined, depth + 1);
      out.tried.push(...deeper.tried.map((line) => `then ${line}`));
      for (const f of deeper.proven) if (!out.proven.includes(f)) out.proven.push(f);
      out.shown ||= deeper.shown;
      out.works ??= deeper.works;
    }
  }
  return out;
}

/** Two candidates as one run: both sets of flags, root if either needs it, one throwaway store. */
function combine(a: Candidate, b: Candidate): Candidate {
  return {
    flags: [...a.flags, ...b.flags],
    global: [...(a.global ?? []), ...(b.global ?? [])],
    store: a.store || b.store,
    // A fresh namespace on top of another remedy (crun's hybrid cgroups: --runtime runc) is still
    // a fresh namespace: without this the stale-mapping proof read no ids with crun installed.
    freshRuntime: a.freshRuntime || b.freshRuntime,
    rootfsSuffix: b.rootfsSuffix ?? a.rootfsSuffix,
    asRoot: a.asRoot || b.asRoot,
    label: b.label
      ? `${b.label}, and ${describe(a)}`
      : a.label
        ? `${a.label}, and ${b.flags.join(" ")}`
        : undefined,
    fix: b.fix,
    before: fixesOf(a),
    diagnosis: b.diagnosis,
    offer: b.offer,
  };
}

function fixesOf(c: Candidate): string[] {
  return [...(c.before ?? []), ...(c.fix ? [c.fix] : [])];
}

function describe(c: Candidate): string {
  return c.label ?? [...(c.global ?? []), ...c.flags].join(" ");
}

function fixCommand(fixes: string[]): string {
  return `podlift fix --only ${fixes.join(",")}`;
}

/** One candidate run in the canary's tree: the line for evidence.tried and whether it started. */
async function tryCandidate(
  ctx: CheckContext,
  user: UserInfo,
  argv: string[],
  candidate: Candidate,
  as: As,
): Promise<Tried> {
  const { host, signal } = ctx;
  const store =
    candidate.store || candidate.freshRuntime
      ? await host.makeTempTree([], ["root", "runroot", ...(candidate.freshRuntime ? ["xdg"] : [])], user)
      : null;
  const env = candidate.freshRuntime && store ? { ...as.env, XDG_RUNTIME_DIR: `${store.path}/xdg` } : as.env;
  try {
    const global = [
      ...(store ? ["--root", `${store.path}/root`, "--runroot", `${store.path}/runroot`] : []),
      ...(candidate.global ?? []),
    ];
    const at = argv.indexOf("--rootfs");
    const withFlags = [
      argv[0] as string,
      ...global,
      ...argv.slice(1, at),
      ...candidate.flags,
      "--rootfs",
      `${argv[at + 1]}${candidate.rootfsSuffix ?? ""}`,
      ...argv.slice(at + 2),
    ];
    const again = await runContainer(host, withFlags, {
      timeoutMs: RUN_TIMEOUT_MS,
      ...(candidate.asRoot ? {} : { user: as.asUser, env }),
      signal,
    });
    let mapped: number | null = null;
    if (candidate.freshRuntime && store) {
      // What the fresh namespace maps, then its pause process ended: nothing of it outlives the try.
      const map = await host.run(["podman", ...global, "unshare", "cat", "/proc/self/uid_map"], {
        timeoutMs: RUN_TIMEOUT_MS,
        user: as.asUser,
        env,
        signal,
      });
      mapped = map.exitCode === 0 ? mappedIds(uidMapLines(map.stdout) ?? []) : null;
      const pid = (await host.readFile(`${store.path}/xdg/libpod/tmp/pause.pid`))?.trim();
      if (pid && /^\d+$/.test(pid)) await host.run(["kill", pid], { timeoutMs: 3000, user: as.asUser });
    }
    const flags = [...(candidate.global ?? []), ...candidate.flags].join(" ");
    const label = candidate.label ?? `With ${flags}`;
    const started = again.exitCode === 0;
    const line = `${candidate.label ?? flags}: ${started ? `starts (${again.durationMs} ms)` : again.timedOut ? "timed out" : `fails: ${errorLine(again.stderr)}`}`;
    return {
      started,
      mapped,
      durationMs: again.durationMs,
      line,
      label,
      stderr: again.stderr,
      timedOut: again.timedOut,
      exitCode: again.exitCode,
    };
  } finally {
    await store?.cleanup();
  }
}

/**
 * A rootless store on vfs works, slowly (every layer a full copy). The overlay driver is tried in
 * a throwaway store, natively and through fuse-overlayfs where installed, with the tree mounted
 * through it (--rootfs <tree>:O): the first that starts is offered as storage-overlay.
 */
async function slowStorage(
  ctx: CheckContext,
  user: UserInfo,
  argv: string[],
  as: As,
  base: Candidate | null,
): Promise<Finding[]> {
  const info = await ctx.facts.podman.info(user);
  const driver = info.ok ? info.info.store?.graphDriverName : undefined;
  if (driver !== "vfs") return [];
  const tried: string[] = [];
  const proven: string[] = [];
  let shown = "";
  for (const candidate of await storageCandidates(ctx)) {
    const combined = base ? combine(base, candidate) : candidate;
    const t = await tryCandidate(ctx, user, argv, combined, as);
    tried.push(t.line);
    if (t.started && candidate.fix) {
      proven.push(...fixesOf(combined));
      shown = ` ${t.label} it starts (${t.durationMs} ms): ${fixCommand(fixesOf(combined))} makes that the default.`;
      break; // the first driver that starts is the one offered
    }
  }
  return [
    {
      code: "canary.storage-vfs",
      status: "warn",
      message: `A rootless (${user.name}) container ${base ? `starts (with ${describe(base)})` : "starts"}, on the vfs storage driver (every image layer a full copy).${shown}`,
      evidence: { mode: `rootless (${user.name})`, driver, tried, proven },
      remedy:
        proven.length > 0
          ? `${fixCommand(proven)} (the store is reset for the new driver: see its plan for what that deletes).`
          : "See the storage check: the overlay driver did not start a container here.",
    },
  ];
}

/** The overlay driver natively, then through fuse-overlayfs where it is installed. */
async function storageCandidates(ctx: CheckContext): Promise<Candidate[]> {
  const out: Candidate[] = [
    {
      flags: [],
      global: ["--storage-driver", "overlay"],
      store: true,
      rootfsSuffix: ":O",
      label: "With the overlay driver (a throwaway store)",
      fix: "storage-overlay",
    },
  ];
  const fuse = await findBinary(ctx.host, "fuse-overlayfs");
  if (fuse)
    out.push({
      flags: [],
      global: ["--storage-driver", "overlay", "--storage-opt", `overlay.mount_program=${fuse}`],
      store: true,
      rootfsSuffix: ":O",
      label: `With the overlay driver through ${fuse} (a throwaway store)`,
      fix: "storage-overlay",
    });
  return out;
}

/** Per-run flags that may get past this cause, each tried in the canary's own tree. */
async function candidatesFor(
  ctx: CheckContext,
  user: UserInfo,
  cause: string,
  stderr: string,
): Promise<Candidate[]> {
  const { host, facts, signal } = ctx;
  if (cause === "rlimit") {
    const { nofile, nproc } = await allowedUlimits(host);
    return [
      {
        flags: ["--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`],
        fix: "container-ulimits",
      },
    ];
  }
  if (cause === "crun-hybrid" || cause === "cgroup") {
    const out: Candidate[] = [];
    const info = await facts.podman.info(user);
    const runtime = info.ok ? info.info.host?.ociRuntime?.name : undefined;
    const runc = await host.run(["runc", "--version"], { timeoutMs: 3000, signal });
    if (runtime !== "runc" && runc.exitCode === 0)
      out.push({ flags: ["--runtime", "runc"], fix: "container-runtime" });
    out.push({
      flags: ["--cgroups", "disabled"],
      fix: null,
      diagnosis: "shows the cause is cgroups (no fix: containers then get no resource limits)",
    });
    return out;
  }
  if (cause === "tun-device" && user.uid !== 0) return tunCandidates(ctx, stderr);
  if (cause === "network-helper" && user.uid !== 0) return helperCandidates(ctx, stderr);
  if (cause === "storage-driver" && user.uid !== 0) return storageCandidates(ctx);
  return [];
}

/** The helper a rootless network error names: pasta (Podman 5's default) or slirp4netns. */
function namedHelper(stderr: string): "pasta" | "slirp4netns" {
  return /\bpasta\b|\bpasst\b/i.test(stderr) ? "pasta" : "slirp4netns";
}

/**
 * The user may not open /dev/net/tun. Root may: the same helper, the same device and the same
 * tree, started by root (with the host's limits, which root may set here too). When that starts,
 * the device's mode is all that stands between the user and a network: tun-device-mode.
 */
async function tunCandidates({ host }: CheckContext, stderr: string): Promise<Candidate[]> {
  if (host.currentUser().uid !== 0) return []; // only root can try it, and only root can fix it
  const tun = await host.stat(TUN);
  if (tun === null || tun.type !== "char") return [];
  const { nofile, nproc } = await allowedUlimits(host);
  const helper = namedHelper(stderr);
  return [
    {
      flags: [
        "--network",
        helper,
        "--ulimit",
        `nofile=${nofile}:${nofile}`,
        "--ulimit",
        `nproc=${nproc}:${nproc}`,
      ],
      asRoot: true,
      label: `Started by root, who may open ${TUN} (mode ${tun.mode.toString(8).padStart(4, "0")}), with --network ${helper}`,
      fix: "tun-device-mode",
      offer: `makes ${TUN} usable by every user (mode 0666)`,
    },
  ];
}

/**
 * The default helper is missing or fails: the other one, where installed. Making it the default
 * needs default_rootless_network_cmd, which Podman 4.4 added (with pasta): before that a start
 * with it is a diagnosis only.
 */
async function helperCandidates({ host, facts }: CheckContext, stderr: string): Promise<Candidate[]> {
  const failing = namedHelper(stderr);
  const other = failing === "pasta" ? "slirp4netns" : "pasta";
  if ((await findBinary(host, other)) === null) return [];
  const version = coerce(await facts.podman.version().catch(() => null));
  const settable = version !== null && gte(version, "4.4.0");
  return [
    {
      flags: ["--network", other],
      fix: settable ? "rootless-network-cmd" : null,
      diagnosis: `shows ${other} works here (Podman ${version?.version ?? "of this version"} cannot make it the default: default_rootless_network_cmd needs 4.4; pass --network ${other})`,
    },
  ];
}

/**
 * Podman keeps the user namespace its pause process made: ranges added to /etc/subuid later are
 * not used until `podman system migrate` (containers start, but images with files owned by other
 * ids fail to pull). When Podman maps only the user's own id while the files give ranges, the
 * canary starts its container again in a fresh namespace (a throwaway runtime dir and store) and
 * reads what that maps: more ids and a start prove podman-system-migrate.
 */
async function staleMapping(
  ctx: CheckContext,
  user: UserInfo,
  argv: string[],
  as: As,
  base: Candidate | null,
): Promise<Finding[]> {
  const info = await ctx.facts.podman.info(user);
  if (!info.ok) return [];
  const now = mappedIds(uidMapLines(info.info.host?.idMappings?.uidmap) ?? []);
  if (now !== 1) return [];
  const ranges = async (file: string) => ownRanges(await ctx.host.readFile(file), user);
  const [subuid, subgid] = await Promise.all([ranges("/etc/subuid"), ranges("/etc/subgid")]);
  if (subuid.length === 0 || subgid.length === 0) return []; // nothing to map: subuid-ranges says so
  const fresh: Candidate = {
    flags: [],
    freshRuntime: true,
    label: "In a fresh user namespace (a throwaway runtime dir and store)",
    fix: "podman-system-migrate",
  };
  const t = await tryCandidate(ctx, user, argv, base ? combine(base, fresh) : fresh, as);
  const proven = t.started && t.mapped !== null && t.mapped > 1;
  const given = subuid.map((r) => `${r.start}+${r.count}`).join(", ");
  const fixes = fixesOf(base ? combine(base, fresh) : fresh);
  return [
    {
      code: "canary.stale-mapping",
      status: "warn",
      message: `A rootless (${user.name}) container starts with only ${user.name}'s own id mapped, although /etc/subuid gives ${given}: Podman's user namespace predates the ranges.${proven ? ` ${t.label} it maps ${t.mapped} ids and starts (${t.durationMs} ms): ${fixCommand(fixes)} makes Podman use them.` : ""}`,
      evidence: {
        mode: `rootless (${user.name})`,
        mappedNow: now,
        subuid: given,
        tried: [`${t.line}${t.mapped === null ? "" : `, mapping ${t.mapped} ids`}`],
        proven: proven ? fixes : [],
      },
      remedy: `Run \`podman system migrate\` as ${user.name} (it stops the user's running containers).`,
    },
  ];
}

export const TUN = "/dev/net/tun";
