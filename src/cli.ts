// The command line: the only module that reads process.argv or calls process.exit. Anything
// heavy (the checks, listr2, execa, systeminformation) is loaded inside the command that needs it,
// so `podlift --version` and `podlift checks` start fast.
import { stat } from "node:fs/promises";
import path from "node:path";
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
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // Options after a subcommand belong to it (`podlift doctor --root x`), before it to podlift.
    .enablePositionalOptions()
    .option("--root <dir>", "host root folder, for the guided setup", "/")
    .option("-u, --user <name>", "target user, for the guided setup")
    .option("--no-color", "no colour")
    .action(async (opts: { root: string; user?: string; color: boolean }) => {
      setExitCode(await guided(opts));
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
    .option("-o, --output <file>", "write the report to a file (the text report still goes to stdout)");
  addRunOptions(doctorCommand).action(async (opts: DoctorFlags) => {
    setExitCode(await doctor(opts));
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
    setExitCode(await runFix(opts));
  });

  const bundle = program
    .command("bundle")
    .description("Write a redacted support bundle (.tar.gz, mode 0600) to attach to a ticket.")
    .option("-o, --output <file>", "where to write it (default: ./podlift-bundle-<host>-<time>.tar.gz)")
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
    .option("--root <dir>", "host root folder", "/")
    .option("-u, --user <name>", "target user (default: SUDO_USER or you)")
    .action(async (opts: BundleFlags) => {
      setExitCode(await runBundle(opts));
    });

  const migrate = program.command("migrate").description("Move data from Docker to Podman.");
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
      setExitCode(await runMigrate(names, opts));
    });

  program
    .command("undo")
    .description("Put back what a fix run changed, byte for byte (the last run, or --run ID).")
    .option("--run <id>", "the run to undo (see --list)")
    .option("--list", "list the fix runs podlift remembers")
    .option("--force", "restore files even if they changed after podlift wrote them")
    .option("--root <dir>", "host root folder", "/")
    .action(async (opts: { run?: string; list?: boolean; force?: boolean; root: string }) => {
      setExitCode(await runUndo(opts));
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

interface RunFlags {
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

interface DoctorFlags extends RunFlags {
  format: "text" | "json" | "junit";
  output?: string;
}

/** What doctor and fix share: the host, its facts, the config, and a doctor run on them. */
async function prepare(flags: RunFlags, checkIds: string[]) {
  const [{ checks }, { fixes }, { LiveHost }, { gatherFacts }, { runDoctor }, { loadConfig }] =
    await Promise.all([
      import("../checks/index.js"),
      import("../fixes/index.js"),
      import("./host/live-host.js"),
      import("./engine/facts.js"),
      import("./engine/doctor.js"),
      import("./config.js"),
    ]);
  const config = await loadConfig(flags.config, process.cwd());
  const compose = flags.compose
    ? await (await import("./compose.js")).loadCompose(path.resolve(flags.compose))
    : null;
  const host = new LiveHost(flags.root);
  if (
    !(await stat(host.root).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new Usage(`--root ${flags.root} is not a folder`);
  }
  const factOptions = { user: flags.user, ports: [...(flags.ports ?? []), ...(config.ports ?? [])], compose };
  const facts = await gatherFacts(host, factOptions);
  const run = async () => {
    const interrupt = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) process.exit(EXIT.interrupted);
      process.stderr.write("\npodlift: interrupted, finishing the report (Ctrl-C again to quit now)\n");
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

/** The options every command that runs the checks takes. */
function addRunOptions(command: Command): Command {
  return command
    .option("--root <dir>", "host root folder (e.g. /host when run in a pod)", "/")
    .option("-u, --user <name>", "target user for rootless checks (default: SUDO_USER or you)")
    .addOption(new Option("--timeout <ms>", "per-check timeout in milliseconds").argParser(positiveInt))
    .addOption(new Option("--ports <ports>", "ports you need to publish, e.g. 80,443").argParser(portList))
    .option("--compose <file>", "a compose file whose ports and bind mounts to check")
    .option("--config <file>", "config file (default: ./podlift.json if present)")
    .option("--no-color", "no colour in the text report (NO_COLOR is honoured too)")
    .option("-v, --verbose", "show passing findings, evidence and per-check timing");
}

function indexFixes(fixes: readonly { id: string; addresses: string[] }[]): Record<string, string[]> {
  const index: Record<string, string[]> = {};
  for (const fix of fixes) {
    for (const code of fix.addresses) index[code] = [...(index[code] ?? []), fix.id];
  }
  return index;
}

function interactive(): boolean {
  return process.stderr.isTTY === true && process.stdin.isTTY === true && !process.env.CI;
}

function useColor(flags: { color: boolean }): boolean {
  return flags.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
}

async function doctor(flags: DoctorFlags): Promise<number> {
  const [{ run }, reports] = await Promise.all([prepare(flags, flags.only), import("../reports/index.js")]);
  const result = await run();
  const text = () => reports.writeText(result, { color: useColor(flags), verbose: flags.verbose === true });
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

/** No subcommand: the guided setup on a terminal; elsewhere the doctor's report and a hint. */
async function guided(opts: { root: string; user?: string; color: boolean }): Promise<number> {
  const flags: DoctorFlags = {
    only: [],
    skip: [],
    root: opts.root,
    user: opts.user,
    color: opts.color,
    format: "text",
  };
  if (!interactive()) {
    const code = await doctor(flags);
    io.err(
      "podlift: no terminal, so no questions: use podlift doctor, podlift fix, podlift migrate volumes, podlift bundle (see --help)\n",
    );
    return code;
  }
  const [{ runWizard }, { fixes }, engine, run, { stateDir }, reports] = await Promise.all([
    import("./wizard.js"),
    import("../fixes/index.js"),
    import("./fix/engine.js"),
    import("./fix/run.js"),
    import("./fix/journal.js"),
    import("../reports/index.js"),
  ]);
  const prepared = await prepare(flags, []);
  const { host, facts, checks } = prepared;
  const state = stateDir(host);
  return runWizard(
    {
      host,
      stateDir: state,
      detect: prepared.run,
      plan: (result) => engine.planFixes({ host, facts }, result, fixes),
      apply: (result, plans) =>
        run.applyAndVerify({
          before: result,
          host,
          plans,
          checks,
          fixes,
          factOptions: prepared.factOptions,
          version: toolVersion(),
        }),
      async saveReport(result) {
        const file = `${state}/reports/doctor-${result.startedAt.replace(/[-:]/g, "").replace(/\..*$/, "")}.json`;
        await host.writer().writeFile(file, reports.writeJson(result), 0o600);
        return host.root === "/" ? file : `${host.root}${file}`;
      },
      async migrate() {
        const sock =
          process.env.DOCKER_HOST ??
          ((await host.stat("/var/run/docker.sock"))?.type === "socket" && host.isLive
            ? "unix:///var/run/docker.sock"
            : null);
        if (!sock) return null;
        const { DockerClient } = await import("./migrate/docker.js");
        const docker = new DockerClient(sock);
        if (
          !(await docker.version().then(
            () => true,
            () => false,
          ))
        )
          return null;
        return async () => {
          const user = facts.rootful ? undefined : facts.targetUser.name;
          const code = await runMigrate([], {
            user,
            map: [],
            onConflict: "fail",
            verify: true,
            parallel: 2,
            format: "text",
            via: "auto",
            dockerHost: sock,
          });
          return code === EXIT.ok ? ["volumes migrated (see above)"] : [];
        };
      },
    },
    io,
    useColor(opts),
  );
}

interface FixFlags extends RunFlags {
  dryRun?: boolean;
  yes?: boolean;
  allowRisky?: boolean;
  script?: boolean;
  format: "text" | "json";
}

const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };

async function runFix(flags: FixFlags): Promise<number> {
  const [{ checks }, { fixes }, engine, command, run] = await Promise.all([
    import("../checks/index.js"),
    import("../fixes/index.js"),
    import("./fix/engine.js"),
    import("./fix/command.js"),
    import("./fix/run.js"),
  ]);
  const checkIds = flags.only.filter((id) => checks.some((c) => c.id === id));
  const fixIds = flags.only.filter((id) => fixes.some((f) => f.id === id));
  const unknown = flags.only.filter((id) => !checkIds.includes(id) && !fixIds.includes(id));
  if (unknown.length > 0)
    throw new Usage(`unknown check or fix id: ${unknown.join(", ")} (see \`podlift checks\`)`);
  // --only with fix ids runs the checks those fixes verify; with check ids, those checks.
  const prepared = await prepare(flags, checkIds);
  const result = await prepared.run();
  if (result.interrupted) return EXIT.interrupted;
  const planned = await engine.planFixes(
    { host: prepared.host, facts: prepared.facts },
    result,
    fixes,
    fixIds,
  );
  const mode = { ...flags, color: useColor(flags), interactive: interactive() };
  if (planned.plans.length === 0) {
    command.printPlans(planned, mode, io);
    const left = command.remainingFailures(result);
    io.out(
      left === 0
        ? "Nothing to fix.\n"
        : `Nothing podlift can fix; ${left} check(s) still fail: see podlift doctor.\n`,
    );
    return left === 0 ? EXIT.ok : EXIT.failed;
  }
  if (flags.dryRun || flags.script) {
    command.printPlans(planned, mode, io);
    return EXIT.ok;
  }
  if (flags.format === "text" && !flags.yes) command.printPlans(planned, mode, io);
  const chosen = await command.choosePlans(planned.plans, mode, io);
  if (chosen === null) {
    if (flags.format === "json") command.printPlans(planned, mode, io);
    io.err(
      "podlift: nothing applied: no terminal to ask on. Apply the safe fixes with --yes (risky ones need --allow-risky too).\n",
    );
    return EXIT.failed;
  }
  const applicable = command.splitByRoot(prepared.host, chosen, io);
  if (applicable.length === 0) {
    io.out("Nothing applied.\n");
    return chosen.length === 0 ? EXIT.ok : EXIT.failed;
  }
  const outcome = await run.applyAndVerify({
    before: result,
    host: prepared.host,
    plans: applicable,
    checks,
    fixes,
    factOptions: prepared.factOptions,
    version: toolVersion(),
  });
  if (flags.format === "json") {
    io.out(
      `${JSON.stringify({ runId: outcome.runId, outcomes: outcome.outcomes, plans: applicable }, null, 2)}\n`,
    );
    return outcome.outcomes.every((o) => o.status === "applied") && applicable.length === chosen.length
      ? EXIT.ok
      : EXIT.failed;
  }
  const code = command.summarizeResult(outcome, io);
  return code === 0 && applicable.length === chosen.length ? EXIT.ok : EXIT.failed;
}

async function runUndo(opts: {
  run?: string;
  list?: boolean;
  force?: boolean;
  root: string;
}): Promise<number> {
  const [{ LiveHost }, { undoRun }, { JournalStore }] = await Promise.all([
    import("./host/live-host.js"),
    import("./fix/run.js"),
    import("./fix/journal.js"),
  ]);
  const host = new LiveHost(opts.root);
  if (opts.list) {
    const store = new JournalStore(host, host.writer());
    for (const id of await store.list()) {
      const j = await store.load(id).catch(() => null);
      if (!j) continue;
      const fixes = j.fixes.map((f) => `${f.fixId}:${f.status}`).join(", ") || "no changes";
      io.out(`${id}  ${j.undoneAt ? "undone" : "active"}  ${fixes}\n`);
    }
    return EXIT.ok;
  }
  const result = await undoRun(host, opts.run, opts.force === true);
  if (result.runId === null) {
    io.out("Nothing to undo.\n");
    return EXIT.ok;
  }
  for (const id of result.restored) io.out(`✔ undid ${id}\n`);
  for (const p of result.problems) io.err(`podlift: ${p}\n`);
  io.out(
    result.problems.length === 0 ? `Run ${result.runId} undone.\n` : `Run ${result.runId} partly undone.\n`,
  );
  return result.problems.length === 0 ? EXIT.ok : EXIT.failed;
}

interface MigrateFlags {
  compose?: string;
  user?: string;
  map: string[];
  onConflict: "fail" | "skip" | "replace";
  stopContainers?: boolean;
  keepPartial?: boolean;
  verify: boolean;
  dryRun?: boolean;
  yes?: boolean;
  parallel: number;
  dockerHost?: string;
  format: "text" | "json";
  via: "auto" | "engine-api";
}

async function runMigrate(names: string[], flags: MigrateFlags): Promise<number> {
  const [
    { LiveHost },
    { DockerClient },
    { PodmanTarget },
    plan,
    { runMigration, formatBytes },
    { lookupUser },
  ] = await Promise.all([
    import("./host/live-host.js"),
    import("./migrate/docker.js"),
    import("./migrate/podman.js"),
    import("./migrate/plan.js"),
    import("./migrate/run.js"),
    import("./host/users.js"),
  ]);
  const host = new LiveHost("/");
  let user = null;
  if (flags.user) {
    user = await lookupUser(host, flags.user);
    if (user === null) throw new Usage(`unknown user "${flags.user}"`);
    if (user.uid === 0) user = null;
  } else if (host.currentUser().uid !== 0) {
    user = host.currentUser();
  }
  const docker = new DockerClient(
    flags.dockerHost ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock",
  );
  const podman = new PodmanTarget(host, user);
  const wanted = [...names, ...(flags.compose ? await plan.composeVolumes(flags.compose) : [])];
  await docker.version(); // a clear "no Docker engine answers" before anything else
  const createdImage = await docker.ensureHelperImage();
  try {
    return await migrateWith(docker, podman, host, user, wanted, flags, plan, runMigration, formatBytes);
  } finally {
    if (createdImage) await docker.removeHelperImage();
  }
}

async function migrateWith(
  docker: import("./migrate/docker.js").DockerClient,
  podman: import("./migrate/podman.js").PodmanTarget,
  host: import("./host/types.js").Host,
  user: import("./host/types.js").UserInfo | null,
  wanted: string[],
  flags: MigrateFlags,
  plan: typeof import("./migrate/plan.js"),
  runMigration: typeof import("./migrate/run.js").runMigration,
  formatBytes: (n: number) => string,
): Promise<number> {
  const items = await plan.planMigration(host, docker, podman, {
    names: wanted,
    map: plan.parseMap(flags.map),
    sizes: true,
    via: flags.via,
  });
  const describe = () => {
    for (const i of items) {
      const bits = [
        i.sizeBytes === null ? "size unknown" : formatBytes(i.sizeBytes),
        i.runningContainers.length ? `in use by ${i.runningContainers.join(", ")}` : "",
        i.conflict === "exists"
          ? `a Podman volume ${i.target} exists (--on-conflict ${flags.onConflict})`
          : "",
        i.conflict === "already-migrated" ? "already migrated" : "",
        i.problem ?? "",
      ].filter(Boolean);
      io.out(
        `${i.problem ? "✖" : "•"} ${i.source.Name} → ${i.target}${user ? ` (rootless, ${user.name})` : ""}: ${bits.join("; ")}\n`,
      );
    }
  };
  if (items.length === 0) {
    io.out("No Docker volumes to migrate.\n");
    return EXIT.ok;
  }
  if (flags.dryRun) {
    if (flags.format === "json") io.out(`${JSON.stringify({ volumes: items }, null, 2)}\n`);
    else describe();
    return EXIT.ok;
  }
  let chosen = items.filter((i) => i.problem === null);
  if (!flags.yes) {
    if (!interactive()) {
      describe();
      io.err("podlift: nothing moved: no terminal to ask on. Pass --yes to migrate these volumes.\n");
      return EXIT.failed;
    }
    describe();
    const { checkbox } = await import("@inquirer/prompts");
    const picked = await checkbox({
      message: "Which volumes should podlift copy into Podman?",
      choices: chosen.map((i) => ({
        name: `${i.source.Name} → ${i.target}`,
        value: i.source.Name,
        checked: i.conflict !== "already-migrated",
      })),
    });
    chosen = chosen.filter((i) => picked.includes(i.source.Name));
  }
  const interrupt = new AbortController();
  const onSigint = () => {
    io.err("\npodlift: interrupted; stopping the copies and cleaning up\n");
    interrupt.abort();
  };
  process.on("SIGINT", onSigint);
  const results = await runMigration(docker, podman, chosen, {
    verify: flags.verify,
    onConflict: flags.onConflict,
    stopContainers: flags.stopContainers === true,
    keepPartial: flags.keepPartial === true,
    via: flags.via,
    parallel: flags.parallel,
    signal: interrupt.signal,
    progress: interactive() && flags.format === "text" ? "default" : "silent",
  }).finally(() => process.off("SIGINT", onSigint));
  const blocked = items.filter((i) => i.problem !== null);
  if (flags.format === "json") {
    io.out(
      `${JSON.stringify({ volumes: results, notMigrated: blocked.map((b) => ({ source: b.source.Name, problem: b.problem })) }, null, 2)}\n`,
    );
  } else {
    for (const r of results) {
      const mark = r.status === "failed" ? "✖" : "✔";
      const stats =
        r.status === "migrated"
          ? ` ${formatBytes(r.bytes)}, ${r.entries} entries, ${r.durationMs} ms${r.verified ? ", verified" : ", not verified"}`
          : "";
      io.out(`${mark} ${r.source} → ${r.target}: ${r.status}${stats}${r.error ? `: ${r.error}` : ""}\n`);
      for (const d of r.differences.slice(0, 20)) io.out(`    ${d.path}: ${d.problem}\n`);
      for (const n of r.notes) io.out(`    note: ${n}\n`);
    }
    for (const b of blocked) io.out(`✖ ${b.source.Name}: not migrated: ${b.problem}\n`);
  }
  if (interrupt.signal.aborted) return EXIT.interrupted;
  return results.some((r) => r.status === "failed") || blocked.length > 0 ? EXIT.failed : EXIT.ok;
}

interface BundleFlags {
  output?: string;
  obfuscate?: boolean;
  redactRules?: string;
  redactOnly?: string;
  dryRun?: boolean;
  compose: string[];
  root: string;
  user?: string;
  timeout?: number;
}

async function loadRules(file: string | undefined) {
  if (!file) return undefined;
  const { readFile } = await import("node:fs/promises");
  let raw: { patterns?: unknown; literals?: unknown };
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Usage(`--redact-rules ${file}: ${(error as Error).message}`);
  }
  const strings = (v: unknown, what: string) => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
      throw new Usage(`--redact-rules ${file}: "${what}" must be a list of strings`);
    return v as string[];
  };
  const rules = { patterns: strings(raw.patterns, "patterns"), literals: strings(raw.literals, "literals") };
  for (const p of rules.patterns) {
    try {
      new RegExp(p, "g");
    } catch (error) {
      throw new Usage(
        `--redact-rules ${file}: pattern ${JSON.stringify(p)} is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  }
  return rules;
}

async function runBundle(flags: BundleFlags): Promise<number> {
  const [{ Redactor }, b, { collectors }, os] = await Promise.all([
    import("./redact.js"),
    import("./bundle/bundle.js"),
    import("./bundle/collectors.js"),
    import("node:os"),
  ]);
  const custom = await loadRules(flags.redactRules);
  if (flags.redactOnly) {
    const old = await b.readBundle(flags.redactOnly).catch((error: Error) => {
      throw new Usage(`cannot read ${flags.redactOnly}: ${error.message}`);
    });
    const output = flags.output ?? flags.redactOnly.replace(/(\.tar\.gz|\.tgz)?$/, "-redacted.tar.gz");
    const manifest = await b.writeBundle(
      output,
      old.prefix,
      old.entries,
      old.manifest.missing,
      new Redactor({ custom }),
      `podlift ${toolVersion()}`,
    );
    io.out(`${output}\n`);
    io.err(
      `podlift: re-redacted ${manifest.files.length} files (${
        Object.entries(manifest.redactions)
          .map(([k, v]) => `${k}: ${v}`)
          .join(", ") || "nothing new"
      })\n`,
    );
    return EXIT.ok;
  }
  const prepared = await prepare(
    { only: [], skip: [], root: flags.root, user: flags.user, color: false, compose: undefined },
    [],
  );
  const { host, facts } = prepared;
  const user = facts.rootful ? null : facts.targetUser;
  const { userEnv } = await import("./engine/podman-facts.js");
  const dockerHost =
    process.env.DOCKER_HOST ??
    ((await host.stat("/var/run/docker.sock"))?.type === "socket" ? "unix:///var/run/docker.sock" : null);
  const list = collectors({
    host,
    user,
    userEnv: user ? await userEnv(host, user) : undefined,
    compose: flags.compose.map((c) => path.resolve(c)),
    dockerHost,
    timeoutMs: flags.timeout,
  });
  const reports = await import("../reports/index.js");
  // Both report collectors share one doctor run, even when they start at the same moment.
  let pending: ReturnType<typeof prepared.run> | undefined;
  const doctorReport = () => {
    pending ??= prepared.run();
    return pending;
  };

  list.unshift(
    { file: "doctor/report.json", produce: async () => reports.writeJson(await doctorReport()) },
    {
      file: "doctor/report.txt",
      produce: async () => reports.writeText(await doctorReport(), { color: false, verbose: true }),
    },
    {
      file: "host/environment.txt",
      produce: async () =>
        Object.entries(process.env)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join("\n"),
    },
  );
  if (flags.dryRun) {
    for (const c of list)
      io.out(
        `${c.file}: ${c.argv ? `$ ${c.user ? `(as ${c.user}) ` : ""}${c.argv.join(" ")}` : c.paths ? c.paths.join(", ") : "made by podlift"}\n`,
      );
    return EXIT.ok;
  }
  const hostName = os.hostname();
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const prefix = `podlift-bundle-${stamp}`;
  const output = path.resolve(flags.output ?? `podlift-bundle-${hostName}-${stamp}.tar.gz`);
  const { parsePasswd } = await import("./host/users.js");
  const hostsFile = (await host.readFile("/etc/hosts")) ?? "";
  const redactor = new Redactor({
    custom,
    obfuscate: flags.obfuscate
      ? {
          hostnames: [
            hostName,
            ((await host.readFile("/etc/hostname")) ?? "").trim(),
            ...hostsFile
              .split("\n")
              .flatMap((l) => l.replace(/#.*/, "").trim().split(/\s+/).slice(1))
              .filter((h) => !/^(localhost|ip6-|localhost\.)/.test(h)),
          ],
          users: parsePasswd((await host.readFile("/etc/passwd")) ?? "")
            .filter((u) => u.uid >= 1000 && u.uid < 65534)
            .map((u) => u.name)
            .concat(user ? [user.name] : []),
        }
      : undefined,
  });
  const collected = await b.collectAll(host, list);
  const { entries, missing } = b.entriesFrom(collected);
  const manifest = await b.writeBundle(
    output,
    prefix,
    entries,
    missing,
    redactor,
    `podlift ${toolVersion()}`,
  );
  io.out(`${output}\n`);
  io.err(
    `podlift: ${manifest.files.length} files, ${missing.length} collectors had nothing; redacted: ${
      Object.entries(manifest.redactions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "nothing"
    }${flags.obfuscate ? `; mapping kept at ${output}.mapping.json (do not send it)` : ""}\n`,
  );
  return EXIT.ok;
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
  const [{ UsageError }, { ComposeError }, { LockedError }, { PlanOutdated }, { DockerError }] =
    await Promise.all([
      import("./engine/facts.js"),
      import("./compose.js"),
      import("./fix/journal.js"),
      import("./fix/apply.js"),
      import("./migrate/docker.js"),
    ]);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof LockedError || error instanceof PlanOutdated || error instanceof DockerError) {
    process.stderr.write(`podlift: ${message}\n`);
    return EXIT.failed;
  }
  if ((error as { name?: string }).name === "ExitPromptError") return EXIT.interrupted;
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
