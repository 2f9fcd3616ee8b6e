// What the commands share: the host, its facts and a doctor run on them; whether a person is
// at a terminal; where output goes.
import { stat } from "node:fs/promises";
import { toolVersion } from "../version.js";

/** A usage error: exit 2 with the message, never a stack trace. */
export class Usage extends Error {}

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
}

export interface DoctorFlags extends RunFlags {
  format: "text" | "json" | "junit";
  output?: string;
}

/** What doctor and fix share: the host, its facts, the config, and a doctor run on them. */

export async function prepare(flags: RunFlags, checkIds: string[]) {
  const [{ checks }, { fixes }, { LiveHost }, { gatherFacts }, { runDoctor }, { loadConfig }] =
    await Promise.all([
      import("../../checks/index.js"),
      import("../../fixes/index.js"),
      import("../host/live-host.js"),
      import("../engine/facts.js"),
      import("../engine/doctor.js"),
      import("../config.js"),
    ]);
  const config = await loadConfig(flags.config, process.cwd());
  const host = new LiveHost(flags.root);
  if (
    !(await stat(host.root).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new Usage(`--root ${flags.root} is not a folder`);
  }
  const compose = flags.compose ? await composeOnHost(host, flags.compose) : null;
  const factOptions = { user: flags.user, ports: [...(flags.ports ?? []), ...(config.ports ?? [])], compose };
  const facts = await gatherFacts(host, factOptions);
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
    try {
      return await runDoctor({
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
    }
  };
  return { checks, host, facts, factOptions, run };
}

/**
 * --compose as compose check reads it: a path on the inspected host (under --root, inside the
 * root), through the one bounded reader; the project's path is the host's path, so fixes that
 * read it again go through the host too.
 */
async function composeOnHost(host: import("../host/live-host.js").LiveHost, given: string) {
  const [{ ComposeError, parseCompose, readComposeText }, { composeHostPath }] = await Promise.all([
    import("../compose.js"),
    import("../compose-check/load.js"),
  ]);
  const hostPath = composeHostPath(host.root, process.cwd(), given);
  let text: string | null;
  try {
    text = await readComposeText(await host.fs.resolve(hostPath), hostPath);
  } catch (error) {
    if (error instanceof ComposeError) throw error;
    throw new ComposeError(`cannot read compose file ${hostPath}: ${(error as Error).message}`);
  }
  if (text === null) throw new ComposeError(`cannot read compose file ${hostPath}: no such file`);
  return parseCompose(text, hostPath);
}

/** The options every command that runs the checks takes. */

export function indexFixes(fixes: readonly { id: string; addresses: string[] }[]): Record<string, string[]> {
  const index: Record<string, string[]> = {};
  for (const fix of fixes) {
    for (const code of fix.addresses) index[code] = [...(index[code] ?? []), fix.id];
  }
  return index;
}

export function interactive(): boolean {
  return process.stderr.isTTY === true && process.stdin.isTTY === true && !process.env.CI;
}

export function useColor(flags: { color: boolean }): boolean {
  return flags.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
}
