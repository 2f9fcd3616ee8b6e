// The command line: the only module that reads process.argv or calls process.exit. Anything
// heavy (the checks, listr2, execa, systeminformation) is loaded inside the command that needs it,
// so `podlift --version` and `podlift checks` start fast.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EXIT } from "./engine/exit-code.js";
import { toolVersion } from "./version.js";

class Usage extends Error {}

export async function main(argv: string[] = process.argv): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return handleError(error);
  }
}

function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command("podlift")
    .description(
      "Move hosts and apps from Docker to (rootless) Podman: find what stands in the way and fix it.",
    )
    .version(toolVersion(), "-V, --version")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("doctor")
    .description("Check this host for what rootless (or rootful) Podman needs; exit code for CI.")
    .addOption(
      new Option("--only <ids>", "run only these checks (comma-separated ids)").argParser(list).default([]),
    )
    .addOption(
      new Option("--skip <ids>", "skip these checks (comma-separated ids)").argParser(list).default([]),
    )
    .addOption(
      new Option("--fail-on <level>", "exit 1 on fail (default) or also on warn").choices(["warn", "fail"]),
    )
    .addOption(
      new Option("--format <format>", "report format").choices(["text", "json", "junit"]).default("text"),
    )
    .option("-o, --output <file>", "write the report to a file (the text report still goes to stdout)")
    .option("--root <dir>", "host root folder (e.g. /host when run in a pod)", "/")
    .option("-u, --user <name>", "target user for rootless checks (default: SUDO_USER or you)")
    .addOption(new Option("--timeout <ms>", "per-check timeout in milliseconds").argParser(positiveInt))
    .addOption(new Option("--ports <ports>", "ports you need to publish, e.g. 80,443").argParser(portList))
    .option("--compose <file>", "a compose file whose ports and bind mounts to check")
    .option("--config <file>", "config file (default: ./podlift.json if present)")
    .option("--no-color", "no colour in the text report (NO_COLOR is honoured too)")
    .option("-v, --verbose", "show passing findings, evidence and per-check timing")
    .action(async (opts: DoctorFlags) => {
      setExitCode(await doctor(opts));
    });

  program
    .command("checks")
    .description("List every check with its id and title.")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (opts: { format: string }) => {
      const { checks } = await import("../checks/index.js");
      if (opts.format === "json") {
        process.stdout.write(
          `${JSON.stringify(
            checks.map((c) => ({ id: c.id, title: c.title, docs: c.docs })),
            null,
            2,
          )}\n`,
        );
      } else {
        const width = Math.max(...checks.map((c) => c.id.length));
        for (const c of checks) process.stdout.write(`${c.id.padEnd(width)}  ${c.title}\n`);
      }
    });

  program
    .command("explain")
    .description("Print a check's documentation page.")
    .argument("<check-id>", "a check id from `podlift checks`")
    .action(async (id: string) => {
      const { checks } = await import("../checks/index.js");
      const check = checks.find((c) => c.id === id);
      if (!check) throw new Usage(`unknown check id "${id}" (see \`podlift checks\`)`);
      const { readFile } = await import("node:fs/promises");
      for (const rel of ["../", "../../"]) {
        try {
          process.stdout.write(await readFile(new URL(rel + check.docs, import.meta.url), "utf8"));
          return;
        } catch {
          // try the next depth (source tree or build)
        }
      }
      throw new Error(`the docs page ${check.docs} is missing from this installation`);
    });
  return program;
}

interface DoctorFlags {
  only: string[];
  skip: string[];
  failOn?: "warn" | "fail";
  format: "text" | "json" | "junit";
  output?: string;
  root: string;
  user?: string;
  timeout?: number;
  ports?: number[];
  compose?: string;
  config?: string;
  color: boolean;
  verbose?: boolean;
}

async function doctor(flags: DoctorFlags): Promise<number> {
  const [{ checks }, { LiveHost }, { gatherFacts }, { runDoctor }, { loadConfig }, reports] =
    await Promise.all([
      import("../checks/index.js"),
      import("./host/live-host.js"),
      import("./engine/facts.js"),
      import("./engine/doctor.js"),
      import("./config.js"),
      import("../reports/index.js"),
    ]);
  const config = await loadConfig(flags.config, process.cwd());
  const compose = flags.compose ? await (await import("./compose.js")).loadCompose(flags.compose) : null;
  const host = new LiveHost(flags.root);
  const { stat } = await import("node:fs/promises");
  if (
    !(await stat(host.root)
      .then((s) => s.isDirectory())
      .catch(() => false))
  ) {
    throw new Usage(`--root ${flags.root} is not a folder`);
  }
  const facts = await gatherFacts(host, {
    user: flags.user,
    ports: [...(flags.ports ?? []), ...(config.ports ?? [])],
    compose,
  });

  const interrupt = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    process.stderr.write("\npodlift: interrupted, finishing the report (Ctrl-C again to quit now)\n");
    interrupt.abort();
  };
  process.on("SIGINT", onSigint);
  const interactive = process.stderr.isTTY === true && !process.env.CI;
  const result = await runDoctor({
    checks,
    host,
    facts,
    version: toolVersion(),
    only: flags.only,
    skip: flags.skip,
    configSkips: config.skip,
    failOn: flags.failOn ?? config.failOn,
    timeoutMs: flags.timeout ?? config.timeoutMs,
    progress: interactive ? "default" : "silent",
    interrupt: interrupt.signal,
  }).finally(() => process.off("SIGINT", onSigint));

  const color = flags.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
  const text = () => reports.writeText(result, { color, verbose: flags.verbose === true });
  const rendered =
    flags.format === "json"
      ? reports.writeJson(result)
      : flags.format === "junit"
        ? reports.writeJunit(result)
        : null;
  if (flags.output) {
    const { writeFileAtomic } = await import("./atomic.js");
    const fileText = rendered ?? reports.writeText(result, { color: false, verbose: flags.verbose === true });
    await writeFileAtomic(flags.output, fileText);
    process.stdout.write(text());
    process.stderr.write(`podlift: ${flags.format} report written to ${flags.output}\n`);
  } else {
    process.stdout.write(rendered ?? text());
  }
  return result.exitCode;
}

function list(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError("expected a positive whole number of milliseconds");
  return Number(value);
}

function portList(value: string, previous: number[] = []): number[] {
  const ports = value.split(",").map((s) => s.trim());
  for (const p of ports) {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)
      throw new InvalidArgumentError(`"${p}" is not a port number`);
  }
  return [...previous, ...ports.map(Number)];
}

async function handleError(error: unknown): Promise<number> {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const [{ UsageError }, { ComposeError }] = await Promise.all([
    import("./engine/facts.js"),
    import("./compose.js"),
  ]);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Usage || error instanceof UsageError || error instanceof ComposeError) {
    process.stderr.write(`podlift: ${message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`podlift: internal error: ${message}\n`);
  if (process.env.PODLIFT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT.checkError;
}

export async function run(): Promise<never> {
  const code = await main();
  process.exit(code);
}
