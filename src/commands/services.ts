// podlift migrate services: Docker containers or a compose project → Podman units for the target
// user; shown with --dry-run, written through the fix engine (journal, atomic, podlift undo).
import { EXIT } from "../doctor/exit-code.js";
import { UsageError } from "../errors.js";
import { safeLine, safeText, shellQuote } from "../text/safe-text.js";
import { interactive } from "../text/terminal.js";
import { io, openLiveHost } from "./common.js";

export interface ServicesFlags {
  compose: string[];
  dotenv?: string;
  user?: string;
  root: string;
  as?: "quadlet" | "service" | "commands";
  dryRun?: boolean;
  yes?: boolean;
  enable?: boolean;
  dockerHost?: string;
  format: "text" | "json";
}

export async function runServices(names: string[], flags: ServicesFlags): Promise<number> {
  const [{ lookupUser }, planning, { inventoryFromDocker }] = await Promise.all([
    import("../host/users.js"),
    import("../services/plan.js"),
    import("../services/docker-source.js"),
  ]);
  const host = await openLiveHost(flags.root);
  let user = null;
  if (flags.user) {
    user = await lookupUser(host, flags.user);
    if (user === null) throw new UsageError(`unknown user "${flags.user}"`);
    if (user.uid === 0) user = null;
  } else if (host.currentUser().uid !== 0) user = host.currentUser();
  const target = { user };
  let inv: import("../services/model.js").Inventory;
  if (flags.compose.length > 0) {
    if (names.length > 0) throw new UsageError("name containers or give --compose, not both");
    const [{ loadProject, composeHostPath, ComposeMissing }, { servicesFromCompose }] = await Promise.all([
      import("../compose/project.js"),
      import("../services/compose-source.js"),
    ]);
    const onHost = (p: string) => composeHostPath(host.root, process.cwd(), p);
    const project = await loadProject(flags.compose.map(onHost), process.env, (p) => host.fs.resolve(p), {
      ...(flags.dotenv ? { envFile: onHost(flags.dotenv) } : {}),
    }).catch((error: Error) => {
      if (error instanceof UsageError) throw error;
      if (error instanceof ComposeMissing) throw new UsageError(`cannot read ${error.message}`);
      throw new UsageError(`cannot read ${flags.compose[0]}: ${error.message}`);
    });
    inv = servicesFromCompose(project, (user ?? host.currentUser()).home);
  } else {
    const { DockerClient } = await import("../migrate/docker.js");
    const docker = new DockerClient(
      flags.dockerHost ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock",
    );
    await docker.version();
    inv = await inventoryFromDocker(docker, names);
    const missing = names.filter((n) => !inv.services.some((s) => s.name === n || s.project === n));
    if (missing.length > 0)
      throw new UsageError(
        `no Docker container or compose project named ${missing.map((m) => safeLine(m)).join(", ")}`,
      );
  }
  const facts = await planning.hostFacts(host);
  const sp = planning.planServices(inv, facts, target, flags.as);
  if (user && sp.mode !== "commands" && (await host.stat(`/var/lib/systemd/linger/${user.name}`)) === null)
    sp.notes.push(
      `${user.name} does not linger: these units stop at logout and do not start at boot until: sudo loginctl enable-linger ${shellQuote(user.name)}`,
    );
  const plan = await planning.toFixPlan(host, sp, target, flags.enable === true);
  if (flags.format === "json") {
    io.out(
      `${JSON.stringify({ mode: sp.mode, why: sp.why, source: inv.source, containers: sp.services.map((s) => s.name), carried: inv.carried, files: sp.files, commands: sp.commands, gaps: sp.gaps, notes: plan.notes }, null, 2)}\n`,
    );
  } else describe(inv, sp, plan.notes, flags.dryRun === true);
  if (sp.services.length === 0) {
    io.out("No containers to convert.\n");
    return sp.gaps.length > 0 ? EXIT.failed : EXIT.ok;
  }
  if (flags.dryRun) return EXIT.ok;
  if (!flags.yes) {
    if (!interactive()) {
      io.err("podlift: nothing written: no terminal to ask on. Pass --yes to write these files.\n");
      return EXIT.failed;
    }
    const { confirm } = await import("@inquirer/prompts");
    if (
      !(await confirm({
        message: `Write ${sp.files.length} file(s)? podlift undo removes them.`,
        default: false,
      }))
    )
      return EXIT.ok;
  }
  const { applyServicePlan } = await import("../services/apply.js");
  const outcome = await applyServicePlan(host, plan, (line) => io.err(`podlift: ${safeLine(line)}\n`));
  if (outcome.status !== "applied") {
    io.out(`✖ ${outcome.status}: ${safeLine(outcome.error ?? "")}\n`);
    return EXIT.failed;
  }
  const root = host.root === "/" ? "" : ` --root ${shellQuote(host.root)}`;
  io.out(
    `✔ wrote ${sp.files.length} file(s) in ${safeLine(sp.dir)}\n\nUndo with: podlift undo --run ${outcome.runId}${root}\n`,
  );
  // Containers left out (a value no unit line can hold) are a failure to migrate, not a note.
  return sp.services.length < inv.services.length ? EXIT.failed : EXIT.ok;
}

function describe(
  inv: import("../services/model.js").Inventory,
  sp: import("../services/plan.js").ServicePlan,
  notes: string[],
  showFiles: boolean,
): void {
  const line = (t: string) => io.out(`${safeLine(t)}\n`);
  line(
    `From ${inv.source}: ${sp.services.length} container(s), ${inv.volumes.length} volume(s), ${inv.networks.length} network(s).`,
  );
  line(
    `Writing ${sp.mode === "quadlet" ? "Quadlet units" : sp.mode === "service" ? "systemd services" : "a script of podman commands"} in ${sp.dir}: ${sp.why}.`,
  );
  line(
    `Carried over: ${
      Object.entries(inv.carried)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "nothing"
    }.`,
  );
  for (const f of sp.files) {
    if (!showFiles) {
      line(`  ${f.path}`);
      continue;
    }
    io.out(`\n--- ${safeLine(f.path)} (mode ${f.mode.toString(8).padStart(4, "0")})\n${safeText(f.content)}`);
  }
  if (sp.gaps.length > 0) {
    io.out(`\nNot expressible in Podman units (${sp.gaps.length}):\n`);
    for (const g of sp.gaps)
      line(`  ✖ ${g.object}: ${g.option}${g.value ? ` (${g.value})` : ""}: ${g.reason}`);
  }
  for (const n of notes) line(`note: ${n}`);
}
