// podlift compose check: what in a compose project breaks or behaves differently under Podman.
import path from "node:path";
import { parseSpec } from "../../checks/cdi-specs.js";
import { ComposeError } from "../compose.js";
import type { HostContext } from "../compose-check/rules.js";
import { EXIT } from "../engine/exit-code.js";
import { UnreadableFileError } from "../host/safe-read.js";
import { safeLine, shellQuote } from "../text/safe-text.js";
import { interactive, io, prepare, Usage, useColor } from "./common.js";

export interface ComposeFlags {
  root: string;
  user?: string;
  format: "text" | "json";
  failOn?: "warn" | "fail";
  color: boolean;
}

/**
 * The compose file as a path on the host being inspected. Under --root, a path that lies inside
 * the root (the folder you stand in, or a path you name) is taken inside it; any other path is
 * read as that host's own path (/srv/app/compose.yaml is <root>/srv/app/compose.yaml).
 */
export function composeHostPath(root: string, cwd: string, given: string): string {
  const abs = path.resolve(cwd, given);
  if (root === "/") return abs;
  const rel = path.relative(root, abs);
  if (rel === "") return "/";
  return rel.startsWith("..") || path.isAbsolute(rel) ? abs : `/${rel.split(path.sep).join("/")}`;
}

async function analyse(given: string | undefined, flags: ComposeFlags) {
  const [{ discover, loadProject, CANDIDATES, ComposeMissing }, { checkProject }, { knownHomes }] =
    await Promise.all([
      import("../compose-check/load.js"),
      import("../compose-check/rules.js"),
      import("../selinux-paths.js"),
    ]);
  const { host, facts } = await prepare(
    { only: [], skip: [], root: flags.root, user: flags.user, color: flags.color },
    [],
  );
  // Read and written through the host, so that under --root both stay inside the root.
  const resolve = (p: string) => host.fs.resolve(p);
  const here = composeHostPath(host.root, process.cwd(), ".");
  const file = await discover(
    here,
    given === undefined ? undefined : composeHostPath(host.root, process.cwd(), given),
    resolve,
  );
  if (!file) throw new Usage(`no compose file here (looked for ${CANDIDATES.join(", ")}); name one`);
  const load = () =>
    loadProject(file, process.env, resolve).catch((error: Error) => {
      // A FIFO, a device, a folder or a file past the size bound: one line, exit 2.
      if (error instanceof UnreadableFileError || error instanceof ComposeError)
        throw new Usage(error.message);
      if (error instanceof ComposeMissing) throw new Usage(`cannot read ${file}: no such file`);
      throw new Usage(`cannot read ${file}: ${error.message}`);
    });
  const project = await load();
  const start = Number((await host.readSysctl("net.ipv4.ip_unprivileged_port_start")) ?? 1024);
  const cdiDevices: string[] = [];
  for (const dir of ["/etc/cdi", "/var/run/cdi"]) {
    for (const name of (await host.listDir(dir)) ?? []) {
      const spec = parseSpec(`${dir}/${name}`, (await host.readFile(`${dir}/${name}`)) ?? "");
      if ("devices" in spec) cdiDevices.push(...spec.devices.map((d) => `${spec.kind}=${d}`));
    }
  }
  const { unreadableBinds, volumesToMigrate, localOnlyImages } = await import(
    "../compose-check/host-rules.js"
  );
  const { answeringDocker } = await import("../migrate/docker.js");
  // Optional: without an engine that answers, no volume or local-image findings.
  const docker = await answeringDocker(host);
  const volumeSets = docker ? await knownVolumes(docker, host, facts) : null;
  const localImages = docker
    ? await docker
        .call<import("../compose-check/host-rules.js").DockerImageSummary[]>(
          "GET",
          "/images/json",
          undefined,
          10000,
        )
        .then(localOnlyImages, () => undefined)
    : undefined;
  const context: HostContext = {
    rootless: !facts.rootful,
    userName: facts.targetUser.name,
    uid: facts.targetUser.uid,
    portStart: Number.isNaN(start) ? 1024 : start,
    selinuxEnforcing: (await host.readFile("/sys/fs/selinux/enforce"))?.trim() === "1",
    cdiDevices,
    podmanCompose: await host
      .run(["podman-compose", "--version"], { timeoutMs: 5000 })
      .then((r) =>
        r.exitCode === 0 ? (/podman-compose version:?\s*(\S+)/.exec(r.stdout)?.[1] ?? null) : null,
      ),
    home: facts.targetUser.home,
    homes: await knownHomes(host),
    localImages,
  };
  const all = async (p: typeof project) => {
    const extra = [
      ...(context.rootless && host.isLive
        ? await unreadableBinds(p, facts.targetUser, await groupsOf(host, facts.targetUser))
        : []),
      ...(volumeSets ? volumesToMigrate(p, volumeSets.docker, volumeSets.podman) : []),
    ];
    return [...checkProject(p, context), ...extra].sort(
      (a, b) => a.at.line - b.at.line || a.at.col - b.at.col,
    );
  };
  const recheck = async () => all(await load());
  return { file, project, host, facts, context, findings: await all(project), recheck };
}

/** Docker's and Podman's volume names, when the Docker engine lists them; null otherwise. */
async function knownVolumes(
  docker: import("../migrate/docker.js").DockerClient,
  host: import("../host/types.js").WritableHost,
  facts: import("../engine/types.js").Facts,
) {
  const dockerNames = await docker.volumes().then(
    (v) => new Set(v.map((x) => x.Name)),
    () => null,
  );
  if (dockerNames === null) return null;
  const user = facts.rootful ? undefined : facts.targetUser.name;
  const r = await host.run(["podman", "volume", "ls", "--format", "{{.Name}}"], {
    user: user === host.currentUser().name ? undefined : user,
    timeoutMs: 10000,
  });
  return {
    docker: dockerNames,
    podman: new Set(r.exitCode === 0 ? r.stdout.split("\n").filter(Boolean) : []),
  };
}

async function groupsOf(
  host: import("../host/types.js").Host,
  user: import("../host/types.js").UserInfo,
): Promise<number[]> {
  const r = await host.run(["id", "-G", user.name], { timeoutMs: 3000 });
  return r.exitCode === 0 ? r.stdout.trim().split(/\s+/).map(Number) : [user.gid];
}

export async function runComposeCheck(given: string | undefined, flags: ComposeFlags): Promise<number> {
  const { file, project, facts, findings } = await analyse(given, flags);
  const failing = findings.filter(
    (f) => f.status === "fail" || (flags.failOn === "warn" && f.status === "warn"),
  );
  if (flags.format === "json") {
    io.out(
      `${JSON.stringify({ file, project: project.project, rootless: !facts.rootful, findings }, null, 2)}\n`,
    );
  } else {
    const color = useColor(flags);
    const paint = (c: number, t: string) => (color ? `\u001b[${c}m${t}\u001b[0m` : t);
    // A compose file is data: service names, paths and values are shown with controls escaped.
    const shown = safeLine(file);
    io.out(`${shown} (${facts.rootful ? "rootful" : `rootless, ${safeLine(facts.targetUser.name)}`})\n`);
    for (const f of findings) {
      io.out(
        `${paint(f.status === "fail" ? 31 : 33, f.status === "fail" ? "✖" : "⚠")} ${shown}:${f.at.line}:${f.at.col} ${f.service ? `[${safeLine(f.service)}] ` : ""}${safeLine(f.message)} ${paint(90, `(${f.code})`)}\n`,
      );
      io.out(`    ${paint(36, "fix:")} ${safeLine(f.remedy)}\n`);
    }
    io.out(
      findings.length === 0
        ? "Nothing in this project needs changing for Podman.\n"
        : `\n${findings.length} finding(s), ${findings.filter((f) => f.status === "fail").length} failing.\n`,
    );
  }
  return failing.length > 0 ? EXIT.failed : EXIT.ok;
}

export interface ComposeFixFlags extends ComposeFlags {
  dryRun?: boolean;
  yes?: boolean;
  allowRisky?: boolean;
}

/** podlift compose fix: the edits as one plan through the fix engine (journal, atomic write, undo). */
export async function runComposeFix(given: string | undefined, flags: ComposeFixFlags): Promise<number> {
  const { file, project, host, context, findings, recheck } = await analyse(given, flags);
  const [{ editCompose }, { renderPlan }, { applyPlans, revertEntries }, { JournalStore }] =
    await Promise.all([
      import("../compose-check/edits.js"),
      import("../fix/render.js"),
      import("../fix/apply.js"),
      import("../fix/journal.js"),
    ]);
  // The very text that was checked; the fix engine refuses to write if the file changed since.
  const before = project.text;
  const userLines = new Map<string, number>();
  for (const name of Object.keys((project.data.services ?? {}) as object)) {
    const at = project.positions.get(`services.${name}.user`);
    if (at) userLines.set(name, at.line);
  }
  const edited = editCompose(before, findings, context, userLines);
  for (const s of edited.skipped) io.err(`podlift: ${s.finding.code}: ${s.why}\n`);
  const handled = new Set([...edited.applied, ...edited.skipped.map((s) => s.finding)]);
  const advisory = findings.filter((f) => !handled.has(f));
  if (edited.applied.length === 0) {
    io.out(
      `Nothing podlift can edit in ${file}.${advisory.length ? ` ${advisory.length} finding(s) need a decision: see podlift compose check.` : ""}\n`,
    );
    return advisory.some((f) => f.status === "fail") ? EXIT.failed : EXIT.ok;
  }
  const plan = {
    fixId: "compose-edits",
    title: `Edit ${file} for Podman`,
    // Relabelling host folders (:z) is the risky edit; qualifying names and sockets is not.
    risk: edited.applied.some((f) => f.code === "compose.bind-unlabeled")
      ? ("confirm" as const)
      : ("safe" as const),
    summary: `${edited.applied.length} edit(s): ${[...new Set(edited.applied.map((f) => f.code))].join(", ")}. Every other line stays as it is.`,
    changes: [
      {
        kind: "write-file" as const,
        // A host path: under --root the write lands inside the root, like every fix's.
        path: file,
        before,
        after: edited.text,
        mode: (await host.stat(file))?.mode ?? 0o644,
        needsRoot: false,
        why: "edit the compose file",
      },
    ],
    notes: advisory.map((f) => `line ${f.at.line}: ${f.message} (${f.code}) — ${f.remedy}`),
    verify: ["podlift compose check"],
  };
  io.out(renderPlan(plan, useColor(flags)));
  if (flags.dryRun) return EXIT.ok;
  if (flags.yes && plan.risk === "confirm" && !flags.allowRisky) {
    io.err(
      "podlift: nothing changed: adding :z relabels host folders; pass --allow-risky with --yes to apply it\n",
    );
    return EXIT.failed;
  }
  if (!flags.yes) {
    if (!interactive()) {
      io.err("podlift: nothing changed: no terminal to ask on. Pass --yes to apply these edits.\n");
      return EXIT.failed;
    }
    const { confirm } = await import("@inquirer/prompts");
    if (!(await confirm({ message: "Apply these edits? podlift undo puts the file back.", default: false })))
      return EXIT.ok;
  }
  // The one writer: the fix engine, through this host's writer and journal (podlift undo --root).
  const store = new JournalStore(host, host.writer());
  const release = await store.lock();
  try {
    const journal = {
      id: store.newId(),
      startedAt: new Date().toISOString(),
      user: host.currentUser().name,
      fixes: [] as import("../fix/journal.js").JournalFix[],
    };
    const [outcome] = await applyPlans(host, store, journal, [plan]);
    if (outcome?.status !== "applied") {
      io.out(`✖ compose-edits: ${outcome?.status}: ${safeLine(outcome?.error ?? "")}\n`);
      return EXIT.failed;
    }
    // Verified when none of the edited findings comes back.
    const again = await recheck();
    const edits = new Set(edited.applied.map((a) => `${a.code}\0${a.service}`));
    const back = again.filter((f) => edits.has(`${f.code}\0${f.service}`));
    const record = journal.fixes[0] as import("../fix/journal.js").JournalFix;
    if (back.length > 0) {
      await revertEntries(host, store, journal.id, record.entries, true);
      record.status = "rolled-back";
      await store.save(journal);
      io.out(
        `✖ compose-edits: not verified (${back.map((f) => f.code).join(", ")} still found); the file is back as it was\n`,
      );
      return EXIT.failed;
    }
    record.status = "verified";
    await store.save(journal);
    io.out(
      `✔ compose-edits: applied and verified\n\nUndo with: podlift undo --run ${journal.id}${host.root === "/" ? "" : ` --root ${shellQuote(host.root)}`}\n`,
    );
    return EXIT.ok;
  } finally {
    await release();
  }
}
