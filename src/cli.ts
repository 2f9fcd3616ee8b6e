// The command line: the only module that reads process.argv or calls process.exit. Anything
// heavy (the checks, listr2, execa, systeminformation) is loaded inside the command that needs it,
// so `podlift --version` and `podlift checks` start fast.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { BundleFlags } from "./commands/bundle.js";
import type { DoctorFlags } from "./commands/common.js";
import type { ComposeFixFlags, ComposeFlags } from "./commands/compose.js";
import type { FixFlags } from "./commands/fix.js";
import type { MigrateFlags } from "./commands/migrate.js";
import type { ServicesFlags } from "./commands/services.js";
import { toolVersion } from "./commands/version.js";
import { EXIT } from "./doctor/exit-code.js";
import { UsageError } from "./errors.js";

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
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // Options after a subcommand belong to it (`podlift doctor --root x`), before it to podlift.
    .enablePositionalOptions()
    .addOption(
      new Option("--root <dir>", "host root folder, for the guided setup").default("/").argParser(rootDir),
    )
    .option("-u, --user <name>", "target user, for the guided setup")
    .option("--no-color", "no colour")
    .action(async (opts: { root: string; user?: string; color: boolean }) => {
      setExitCode(await (await import("./commands/guided.js")).guided(opts));
    });

  const doctorCommand = program
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
    .option(
      "-o, --output <file>",
      "write the report to a file, or - for standard output (the text report still goes to stdout)",
    )
    .option(
      "--host-name <name>",
      "the host's name in the report (default: its own, or /etc/hostname under --root)",
    )
    .option("--exit-zero", "exit 0 whenever the report was written (its exitCode field still says)");
  addRunOptions(doctorCommand).action(async (opts: DoctorFlags) => {
    setExitCode(await (await import("./commands/doctor.js")).doctor(opts));
  });

  const fix = program
    .command("fix")
    .description("Offer fixes for what doctor found; apply, verify, and journal them for undo.")
    .addOption(
      new Option("--only <ids>", "only these fixes, or the fixes for these checks (comma-separated ids)")
        .argParser(list)
        .default([]),
    )
    .addOption(new Option("--skip <ids>", "skip these checks").argParser(list).default([]))
    .option("--dry-run", "print the plans (diffs and commands) and change nothing")
    .option("-y, --yes", "apply the safe fixes without asking")
    .option("--allow-risky", "with --yes, apply risky fixes too")
    .option("--script", "print the plans as a shell script to review and run as root")
    .addOption(
      new Option("--format <format>", "plan output format").choices(["text", "json"]).default("text"),
    );
  addRunOptions(fix).action(async (opts: FixFlags) => {
    setExitCode(await (await import("./commands/fix.js")).runFix(opts));
  });

  const bundle = program
    .command("bundle")
    .description("Write a redacted support bundle (.tar.gz, mode 0600) to attach to a ticket.")
    .option(
      "-o, --output <file>",
      "where to write it (- for standard output; default: ./podlift-bundle-<host>-<time>.tar.gz)",
    )
    .option(
      "--obfuscate",
      "also replace host names, IP and MAC addresses and user names; the mapping stays on this host",
    )
    .option("--redact-rules <file>", 'extra rules: {"patterns": ["regex"], "literals": ["exact text"]}')
    .option(
      "--redact-only <archive>",
      "redact an existing bundle again (with --redact-rules) instead of collecting",
    )
    .option("--dry-run", "list what would be collected")
    .addOption(
      new Option("--timeout <ms>", "per-collector time limit (default 15000)").argParser(positiveInt),
    )
    .addOption(
      new Option("--compose <file>", "a compose file to include, redacted (repeatable)")
        .argParser(collect)
        .default([]),
    );
  bundle
    .addOption(new Option("--root <dir>", "host root folder").default("/").argParser(rootDir))
    .option("-u, --user <name>", "target user (default: SUDO_USER or you)")
    .action(async (opts: BundleFlags) => {
      setExitCode(await (await import("./commands/bundle.js")).runBundle(opts));
    });

  const compose = program.command("compose").description("Compose projects under Podman.");
  projectOptions(
    compose
      .command("check")
      .description("Find what in a compose project breaks or behaves differently under Podman."),
  )
    .addOption(
      new Option("--format <format>", "report format").choices(["text", "json", "junit"]).default("text"),
    )
    .option(
      "-o, --output <file>",
      "write the report to a file, or - for standard output (the text report still goes to stdout)",
    )
    .addOption(
      new Option("--fail-on <level>", "exit 1 on fail (default) or also on warn").choices(["warn", "fail"]),
    )
    .option("-v, --verbose", "also list the rules that did not run, and why")
    .option("--no-color", "no colour")
    .action(async (file: string | undefined, opts: ComposeFlags) => {
      setExitCode(await (await import("./commands/compose.js")).runComposeCheck(file, opts));
    });

  projectOptions(
    compose
      .command("fix")
      .description(
        "Offer the compose check's edits as a diff; apply, verify and journal them for podlift undo.",
      ),
  )
    .option("--dry-run", "print the diff and change nothing")
    .option("-y, --yes", "apply without asking")
    .option("--allow-risky", "with --yes, also add :z labels (they relabel host folders)")
    .option("--no-color", "no colour")
    .action(async (file: string | undefined, opts: ComposeFixFlags) => {
      setExitCode(
        await (await import("./commands/compose.js")).runComposeFix(file, { ...opts, format: "text" }),
      );
    });

  const report = program.command("report").description("Reports from many hosts.");
  report
    .command("merge")
    .description(
      "Merge doctor JSON reports (files or folders of *.json) into one fleet report: ready and blocked hosts, a check-by-host matrix, the commonest blockers, the fixes.",
    )
    .argument("<paths...>", "report files, or folders holding them")
    .addOption(
      new Option("--format <format>", "report format").choices(["text", "json", "html"]).default("text"),
    )
    .option("-o, --output <file>", "write the report to a file (the text summary still goes to stdout)")
    .action(async (paths: string[], opts: import("./commands/report.js").MergeFlags) => {
      setExitCode(await (await import("./commands/report.js")).mergeCommand(paths, opts));
    });

  const migrate = program
    .command("migrate")
    .description("Move data from Docker to Podman: volumes, images, networks. Alone: what would move.")
    .option("-u, --user <name>", "rootless target: this user's Podman (default: rootful)")
    .option("--dry-run", "show each kind's plan")
    .option("--all", "count images pulled from registries too")
    .option(
      "--docker-host <url>",
      "the Docker engine (default: DOCKER_HOST, else unix:///var/run/docker.sock)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(
      async (opts: {
        user?: string;
        dryRun?: boolean;
        all?: boolean;
        dockerHost?: string;
        format: "text" | "json";
      }) => {
        setExitCode(await (await import("./commands/migrate-objects.js")).runMigrateOverview(opts));
      },
    );
  migrate
    .command("volumes")
    .description(
      "Copy Docker volumes into Podman volumes as verified tar streams; the source is never changed.",
    )
    .argument("[names...]", "Docker volume names (default: all)")
    .option("--compose <file>", "the volumes of this compose project")
    .option("-u, --user <name>", "rootless target: this user's Podman (default: rootful)")
    .addOption(
      new Option("--map <source=target>", "give a volume another name in Podman (repeatable)")
        .argParser(collect)
        .default([]),
    )
    .addOption(
      new Option("--on-conflict <what>", "when the Podman volume exists")
        .choices(["fail", "skip", "replace"])
        .default("fail"),
    )
    .option("--stop-containers", "stop containers using a volume for the copy, and start exactly those again")
    .option("--keep-partial", "keep a failed copy as <name>.podlift-partial instead of removing it")
    .option("--no-verify", "skip the comparison of source and copy")
    .option("--dry-run", "show what would move, and move nothing")
    .option("-y, --yes", "do not ask (required without a terminal)")
    .addOption(new Option("--parallel <n>", "volumes copied at once").argParser(positiveInt).default(2))
    .option(
      "--docker-host <url>",
      "the Docker engine (default: DOCKER_HOST, else unix:///var/run/docker.sock)",
    )
    .addOption(
      new Option(
        "--via <how>",
        "read volumes from their folder when local and root (auto), or always through the Docker API",
      )
        .choices(["auto", "engine-api"])
        .default("auto"),
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (names: string[], opts: MigrateFlags) => {
      setExitCode(await (await import("./commands/migrate.js")).runMigrate(names, opts));
    });

  const onConflict = () =>
    new Option("--on-conflict <what>", "when Podman holds the name already, differently")
      .choices(["fail", "skip", "replace"])
      .default("fail");
  migrate
    .command("images")
    .description(
      "Stream Docker images into Podman one by one (no registry), with every tag, and compare image ids.",
    )
    .argument("[names...]", "Docker image names or ids (default: every image built or tagged here)")
    .option("--compose <file>", "the images of this compose project")
    .option("--only-local", "only images built or tagged here, with no registry digest (the default)")
    .option("--all", "also images pulled from a registry")
    .option("-u, --user <name>", "rootless target: this user's Podman (default: rootful)")
    .addOption(onConflict())
    .option("--dry-run", "show what would move, and move nothing")
    .option("-y, --yes", "do not ask (required without a terminal)")
    .addOption(
      new Option("--parallel <n>", "images loaded at once (at most one per CPU core)")
        .argParser(positiveInt)
        .default(4),
    )
    .addOption(
      new Option("--stall-timeout <ms>", "give up on an image when no byte moved for this long")
        .argParser(positiveInt)
        .default(60000),
    )
    .option(
      "--docker-host <url>",
      "the Docker engine (default: DOCKER_HOST, else unix:///var/run/docker.sock)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (names: string[], opts: import("./commands/migrate-objects.js").ImageFlags) => {
      setExitCode(await (await import("./commands/migrate-objects.js")).runMigrateImages(names, opts));
    });
  migrate
    .command("networks")
    .description(
      "Create Docker's user-defined networks in Podman: same name, driver, subnets, flags and labels.",
    )
    .argument("[names...]", "Docker network names (default: every user-defined network)")
    .option("--compose <file>", "the networks of this compose project (its own, default, and external ones)")
    .option("-u, --user <name>", "rootless target: this user's Podman (default: rootful)")
    .addOption(onConflict())
    .option("--dry-run", "show the podman commands and what cannot move, and create nothing")
    .option("-y, --yes", "do not ask (required without a terminal)")
    .option(
      "--docker-host <url>",
      "the Docker engine (default: DOCKER_HOST, else unix:///var/run/docker.sock)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (names: string[], opts: import("./commands/migrate-objects.js").NetworkFlags) => {
      setExitCode(await (await import("./commands/migrate-objects.js")).runMigrateNetworks(names, opts));
    });

  migrate
    .command("services")
    .description(
      "Propose Podman units (Quadlet, systemd services, or podman commands) for Docker containers or a compose project.",
    )
    .argument("[names...]", "Docker container or compose project names (default: all)")
    .addOption(
      new Option("--compose <file>", "a compose file instead of a Docker engine (repeat to merge)")
        .argParser(collect)
        .default([]),
    )
    .option("--dotenv <file>", "with --compose: variables instead of the .env beside the first file")
    .option("-u, --user <name>", "rootless target: this user's units (default: rootful)")
    .addOption(new Option("--root <dir>", "host root folder").default("/").argParser(rootDir))
    .addOption(
      new Option("--as <kind>", "force the kind of unit (default: chosen from Podman and systemd)").choices([
        "quadlet",
        "service",
        "commands",
      ]),
    )
    .option("--dry-run", "show every file, write nothing")
    .option("-y, --yes", "write without asking (required without a terminal)")
    .option("--enable", "also run systemctl daemon-reload and start (or enable) the services")
    .option(
      "--docker-host <url>",
      "the Docker engine (default: DOCKER_HOST, else unix:///var/run/docker.sock)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (names: string[], opts: ServicesFlags) => {
      setExitCode(await (await import("./commands/services.js")).runServices(names, opts));
    });

  program
    .command("undo")
    .description("Put back what a fix run changed, byte for byte (the last run, or --run ID).")
    .option("--run <id>", "the run to undo (see --list)")
    .option("--list", "list the fix runs podlift remembers")
    .option("--force", "restore files even if they changed after podlift wrote them")
    .addOption(new Option("--root <dir>", "host root folder").default("/").argParser(rootDir))
    .action(async (opts: { run?: string; list?: boolean; force?: boolean; root: string }) => {
      setExitCode(await (await import("./commands/fix.js")).runUndo(opts));
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
      if (!check) throw new UsageError(`unknown check id "${id}" (see \`podlift checks\`)`);
      const { built } = await import("./commands/version.js");
      const page = built?.docs[check.docs];
      if (page !== undefined) {
        process.stdout.write(page);
        return;
      }
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

function addRunOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--root <dir>", "host root folder (e.g. /host when run in a pod)")
        .default("/")
        .argParser(rootDir),
    )
    .option("-u, --user <name>", "target user for rootless checks (default: SUDO_USER or you)")
    .addOption(new Option("--timeout <ms>", "per-check timeout in milliseconds").argParser(positiveInt))
    .addOption(new Option("--ports <ports>", "ports you need to publish, e.g. 80,443").argParser(portList))
    .option("--compose <file>", "a compose file whose ports and bind mounts to check")
    .option("--config <file>", "config file (default: ./podlift.json if present)")
    .option("--no-color", "no colour in the text report (NO_COLOR is honoured too)")
    .option("-v, --verbose", "show passing findings, evidence and per-check timing");
}

/** Which compose project, for compose check and fix: the files as Compose reads them, the host, the user. */
function projectOptions(command: Command): Command {
  return (
    command
      .argument(
        "[file]",
        "the compose file (default: compose.yaml, docker-compose.yml... in this folder, with its compose.override.yaml)",
      )
      .addOption(
        new Option("-f, --file <file>", "a compose file; repeat to merge several, as Compose does")
          .argParser(collect)
          .default([]),
      )
      // Compose calls this --env-file, but Node 20 takes --env-file for itself even after the
      // script's name (and exits 9 when the file is missing), so podlift cannot use that name.
      .option("--dotenv <file>", "read variables from this file instead of the .env beside the first file")
      .addOption(new Option("--root <dir>", "host root folder").default("/").argParser(rootDir))
      .option("-u, --user <name>", "who runs the project (default: SUDO_USER or you)")
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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

/** --root "" would silently mean the working folder: a usage error instead. */
function rootDir(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("expected a folder (the host's root, e.g. /host)");
  return value;
}

/** Node timers take at most 2^31-1 ms; a larger value would fire at once, not never. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_TIMER_MS)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_TIMER_MS}`);
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
  const [{ PodliftError, EndedBySignal }, { safeLine }] = await Promise.all([
    import("./errors.js"),
    import("./text/safe-text.js"),
  ]);
  if (error instanceof EndedBySignal) {
    // The signal's own handlers (process-group.ts, the single file's head) end podlift by it.
    process.kill(process.pid, error.signal);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    return error.exitCode;
  }
  // Messages name host paths and user input: shown with control characters escaped.
  const message = safeLine(error instanceof Error ? error.message : String(error));
  // Every error podlift expects carries its exit code (src/errors.ts): usage 2, host 1.
  if (error instanceof PodliftError) {
    process.stderr.write(`podlift: ${message}\n`);
    return error.exitCode;
  }
  if ((error as { name?: string }).name === "ExitPromptError") return EXIT.interrupted;
  process.stderr.write(`podlift: internal error: ${message}\n`);
  if (process.env.PODLIFT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT.checkError;
}

export async function run(): Promise<never> {
  // `podlift undo --list | head -1`: a reader that goes away ends our output quietly. Later
  // writes are dropped and the command still ends with its own exit code.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
  const code = await main();
  // Standard output to a pipe is written asynchronously, and process.exit drops what is still
  // queued (a large JSON report piped to jq arrived cut short): wait until both streams drained.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  // A write's callback runs once everything written before it is flushed (or the reader is gone).
  return new Promise((resolve) => stream.write("", () => resolve()));
}
