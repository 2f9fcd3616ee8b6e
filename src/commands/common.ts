// What the commands share: the host, its facts and a doctor run on them; whether a person is
// at a terminal; where output goes.
import { stat } from "node:fs/promises";
import { EXIT } from "../doctor/exit-code.js";
import type { ComposeResult, RunResult } from "../doctor/types.js";
import { EndedBySignal, PodliftError, UsageError } from "../errors.js";
import { settleCleanups } from "../host/cleanups.js";
import { interactive } from "../text/terminal.js";
import { toolVersion } from "./version.js";

export const io = {
  out: (t: string) => process.stdout.write(t),
  err: (t: string) => process.stderr.write(t),
};

export interface RunFlags {
  only: string[];
  skip: string[];
  failOn?: "warn" | "fail";
  root: string;
  user?: string;
  timeout?: number;
  ports?: number[];
  compose?: string;
  config?: string;
  color: boolean;
  verbose?: boolean;
  /** --host-name: what the report calls this host (fleets whose hosts share a name). */
  hostName?: string;
}

export interface DoctorFlags extends RunFlags, ReportFlags {
  /** Exit 0 whenever the report was written (a collector that must not retry on a finding). */
  exitZero?: boolean;
}

/** The live host at --root, which must be a folder (a usage error otherwise). */
export async function openLiveHost(root: string): Promise<import("../host/live-host.js").LiveHost> {
  const { LiveHost } = await import("../host/live-host.js");
  const host = new LiveHost(root);
  const folder = await stat(host.root).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!folder) throw new UsageError(`--root ${root} is not a folder`);
  return host;
}

/** The checks that read the target user's `podman info` (facts.podman.info). */
const USES_PODMAN_INFO = new Set([
  "podman-version",
  "storage",
  "rootless-network",
  "container-dns",
  "user-namespaces",
  "canary",
]);

/** What doctor and fix share: the host, its facts, the config, and a doctor run on them. */

export async function prepare(flags: RunFlags, checkIds: string[], options: { doctorRun?: boolean } = {}) {
  const doctorRun = options.doctorRun === true;
  const flagRuns = (id: string) =>
    (checkIds.length === 0 || checkIds.includes(id)) && !flags.skip?.includes(id);
  const [host, { gatherFacts, startPodmanEarly, earlyTarget }, { loadConfig }, canary] = await Promise.all([
    openLiveHost(flags.root),
    import("../doctor/facts.js"),
    import("./config.js"),
    doctorRun && flagRuns("canary") ? import("../../checks/canary.js") : undefined,
    // Every command runs through execa: loaded alongside, not on the first command's path, unless
    // the head started this doctor run's commands (scripts/head-early.cjs): its checks take those
    // over, and on a host where that is all they run, execa (and human-signals, which it builds
    // at load) is never loaded (~8 ms of the main thread, issue 14).
    globalThis.__podliftEarly ? undefined : import("execa"),
  ]);
  // A doctor run starts its slowest probes first, while the checks, the fixes and the rest
  // load: the canary's containers (even before the config is read: a skip there discards them),
  // and the target user's `podman info`.
  const target = doctorRun ? await earlyTarget(host, flags.user) : null;
  // Ctrl-C before the doctor runs (it then handles it itself) must not kill the canary's run
  // mid-create, leaving a container behind: the early runs are discarded first, then podlift ends.
  let interrupted = false;
  const onEarlySigint = () => {
    interrupted = true;
  };
  if (doctorRun) process.on("SIGINT", onEarlySigint);
  try {
    return await prepareRun();
  } finally {
    process.off("SIGINT", onEarlySigint);
  }

  async function prepareRun() {
    const canaryStarted = canary && target ? canary.startCanaryEarly(host, target) : null;
    const config = await loadConfig(flags.config, process.cwd()).catch(async (error: unknown) => {
      await canaryStarted;
      await canary?.discardEarlyCanary();
      throw error;
    });
    const runs = (id: string) => flagRuns(id) && config.skip?.[id] === undefined;
    let early: import("../doctor/podman-facts.js").PodmanFacts | undefined;
    if (doctorRun && [...USES_PODMAN_INFO].some(runs)) early = startPodmanEarly(host, target);
    await canaryStarted;
    if (!runs("canary")) await canary?.discardEarlyCanary();
    // What the early canary started and no check took over (a usage error below, a wizard that
    // ends before its doctor run).
    const discardEarly = async (options: { now?: boolean } = {}) => {
      await canary?.discardEarlyCanary(options);
    };
    const { checks, fixes, runDoctor, factOptions, facts } = await loadTheRest().catch(
      async (error: unknown) => {
        await discardEarly();
        throw error;
      },
    );
    if (interrupted) {
      await discardEarly({ now: true });
      throw new PodliftError("interrupted", EXIT.interrupted);
    }

    async function loadTheRest() {
      const [{ checks }, { fixes }, { runDoctor }] = await Promise.all([
        import("../../checks/index.js"),
        import("../../fixes/index.js"),
        import("../doctor/doctor.js"),
      ]);
      const compose = flags.compose ? await composeOnHost(host, flags.compose) : null;
      const factOptions = {
        user: flags.user,
        ports: [...(flags.ports ?? []), ...(config.ports ?? [])],
        compose,
        hostname: flags.hostName,
      };
      const facts = await gatherFacts(host, { ...factOptions, podman: early });
      return { checks, fixes, runDoctor, factOptions, facts };
    }

    const run = async () => {
      const interrupt = new AbortController();
      // The first Ctrl-C finishes the report; a second one steps aside and raises the signal again,
      // so the process ends by it at once.
      const onSigint = () => {
        if (interrupt.signal.aborted) {
          process.off("SIGINT", onSigint);
          process.kill(process.pid, "SIGINT");
          return;
        }
        io.err("\npodlift: interrupted, finishing the report (Ctrl-C again to quit now)\n");
        interrupt.abort();
      };
      process.on("SIGINT", onSigint);
      // SIGTERM and SIGHUP (a cancelled CI job, a service stop, a closed terminal) stop the run as
      // Ctrl-C does, without the report: once its commands are stopped and cleaned up (a canary
      // container killed mid-create removed), podlift ends by that signal.
      let ended: "SIGTERM" | "SIGHUP" | undefined;
      const onEnd = (signal: "SIGTERM" | "SIGHUP") => {
        ended ??= signal;
        interrupt.abort();
      };
      const groups = await import("../host/process-group.js");
      groups.deferSignals(true);
      for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, onEnd);
      let result: RunResult;
      try {
        result = await runDoctor({
          checks,
          host,
          facts,
          version: toolVersion(),
          only: checkIds,
          skip: flags.skip,
          configSkips: config.skip,
          failOn: flags.failOn ?? config.failOn,
          timeoutMs: flags.timeout ?? config.timeoutMs,
          progress: interactive() ? "default" : "silent",
          interrupt: interrupt.signal,
          fixIndex: indexFixes(fixes),
        });
      } finally {
        process.off("SIGINT", onSigint);
        // The doctor ran: a run its canary check never took (podman hung) is stopped now, and the
        // canary's removal of a run it killed (1 s, and two retries) is let finish.
        await Promise.all([discardEarly({ now: true }), settleCleanups(3500)]);
        for (const signal of ["SIGTERM", "SIGHUP"] as const) process.off(signal, onEnd);
        groups.deferSignals(false);
      }
      // Nothing more is written: the CLI ends podlift by the signal.
      if (ended) throw new EndedBySignal(ended);
      return result;
    };
    return { checks, host, facts, factOptions, run, discardEarly };
  }
}

/**
 * --compose as compose check reads it: a path on the inspected host (under --root, inside the
 * root), through the one project reader (its .env and the environment interpolated); the
 * project's path is the host's path, so fixes that read it again go through the host too.
 */
async function composeOnHost(host: import("../host/live-host.js").LiveHost, given: string) {
  const [{ composeHostPath, loadValidProject }, { composeInfo }] = await Promise.all([
    import("../compose/project.js"),
    import("../compose/info.js"),
  ]);
  const hostPath = composeHostPath(host.root, process.cwd(), given);
  return composeInfo(await loadValidProject(hostPath, process.env, (p) => host.fs.resolve(p)));
}

/** The options every command that runs the checks takes. */

export function indexFixes(fixes: readonly { id: string; addresses: string[] }[]): Record<string, string[]> {
  const index: Record<string, string[]> = {};
  for (const fix of fixes) {
    for (const code of fix.addresses) index[code] = [...(index[code] ?? []), fix.id];
  }
  return index;
}

export interface ReportFlags {
  format: "text" | "json" | "junit";
  output?: string;
  color: boolean;
  verbose?: boolean;
}

/**
 * Where a report goes, checked before the run: a wrong --output fails before anything runs; one
 * naming our own standard output is `-`. The returned function writes a doctor's or a compose
 * check's result through the one set of writers (reports/).
 */
export async function reportOutput(flags: ReportFlags) {
  const { checkOutputTarget, isOwnStdout, writeFileAtomic } = await import("../host/atomic.js");
  const toStdout = flags.output !== undefined && (await isOwnStdout(flags.output));
  if (flags.output !== undefined && !toStdout) await checkOutputTarget(flags.output);
  const [reports, { safeLine }, { useColor }] = await Promise.all([
    import("../../reports/index.js"),
    import("../text/safe-text.js"),
    import("../text/terminal.js"),
  ]);
  return async (result: RunResult | ComposeResult): Promise<void> => {
    const verbose = flags.verbose === true;
    const text = (color: boolean) => reports.writeText(result, { color, verbose });
    const rendered =
      flags.format === "json"
        ? reports.writeJson(result)
        : flags.format === "junit"
          ? reports.writeJunit(result)
          : null;
    if (flags.output === undefined) {
      io.out(rendered ?? text(useColor(flags)));
      return;
    }
    const fileText = rendered ?? text(false);
    if (toStdout) {
      io.out(fileText);
      return;
    }
    await writeFileAtomic(flags.output, fileText, { mode: 0o644 });
    io.out(text(useColor(flags)));
    io.err(`podlift: ${flags.format} report written to ${safeLine(flags.output)}\n`);
  };
}
