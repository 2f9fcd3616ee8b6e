// podlift migrate images | networks, and podlift migrate alone: plan, ask, move, report, in the
// shape migrate volumes uses (one JSON object per kind, a result per object).
import { EXIT } from "../doctor/exit-code.js";
import { UsageError } from "../errors.js";
import type { ImagePlan, ImagePlanItem, ImageResult } from "../migrate/images.js";
import { type NetworkPlanItem, type NetworkResult, subnetInUseMessage } from "../migrate/networks.js";
import { safeLine, shellLine } from "../text/safe-text.js";
import { interactive } from "../text/terminal.js";
import { io } from "./common.js";
import { type MigrateFlags, openTarget, runMigrate } from "./migrate.js";

interface Common {
  user?: string;
  dockerHost?: string;
  onConflict: "fail" | "skip" | "replace";
  dryRun?: boolean;
  yes?: boolean;
  format: "text" | "json";
}

export interface ImageFlags extends Common {
  compose?: string;
  all?: boolean;
  parallel: number;
  stallTimeout: number;
}

export interface NetworkFlags extends Common {
  /** The networks this compose project uses (its own, `default`, and external ones). */
  compose?: string;
}

/** One line of text output: names come from the engine and are shown escaped. */
function line(text: string): void {
  io.out(`${safeLine(text)}\n`);
}

function json(value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

export async function runMigrateImages(names: string[], flags: ImageFlags): Promise<number> {
  const [images, { formatBytes }] = await Promise.all([
    import("../migrate/images.js"),
    import("../migrate/volumes.js"),
  ]);
  const { user, docker, podman } = await openTarget(flags);
  // Podman's listing (a podman start) runs while the engine is asked; its error, if any, is the plan's.
  const listing = images.listPodman(podman);
  listing.catch(() => undefined);
  await docker.version(); // a clear "no Docker engine answers" (5 s at most) before anything else
  // Which clients can fetch the exports (curl, the docker CLI): looked for while planning.
  const clients = images.findExportClients(podman.host);
  clients.catch(() => undefined); // none: the bytes go through Node
  const planning = images.planImages(docker, podman, {
    names,
    compose: flags.compose,
    all: flags.all === true,
    listing,
  });
  // The graph root (for the space check) comes with the plan's Podman listing.
  const space = images.SpaceGuard.open(
    podman,
    planning.then((p) => p.graphRoot),
  );
  space.catch(() => undefined); // its error is reported where it is awaited
  const plan = await planning;
  const who = user ? ` (rootless, ${user.name})` : "";
  if (plan.items.length === 0) {
    if (flags.format === "json") json({ images: [], notChosen: plan.notChosen });
    else {
      line("No Docker images to migrate.");
      describeNotChosen(plan);
    }
    return EXIT.ok;
  }
  if (flags.dryRun) {
    const free = await (await space).free();
    const needed = plan.items.filter((i) => i.action.kind !== "already-migrated" && i.action.kind !== "tag");
    const need = needed.reduce((n, i) => n + i.sizeBytes, 0);
    if (flags.format === "json")
      json({ images: plan.items, notChosen: plan.notChosen, space: { needBytes: need, free } });
    else {
      describeImages(plan.items, flags, who, formatBytes);
      describeNotChosen(plan);
      line(
        `  space: loads need ${formatBytes(need)}; ${free.map((f) => `${formatBytes(f.free)} free under ${f.path}`).join(", ")}`,
      );
    }
    return EXIT.ok;
  }
  let chosen = plan.items;
  if (!flags.yes) {
    describeImages(plan.items, flags, who, formatBytes);
    if (!interactive()) {
      io.err("podlift: nothing moved: no terminal to ask on. Pass --yes to migrate these images.\n");
      return EXIT.failed;
    }
    const { checkbox } = await import("@inquirer/prompts");
    const picked = await checkbox({
      message: "Which images should podlift load into Podman?",
      choices: plan.items.map((i) => ({
        name: safeLine(`${i.source} (${formatBytes(i.sizeBytes)})`),
        value: i.id,
        checked: i.action.kind !== "already-migrated",
      })),
    });
    chosen = plan.items.filter((i) => picked.includes(i.id));
  }
  const interrupt = new AbortController();
  const onSigint = () => {
    io.err("\npodlift: interrupted; stopping the loads\n");
    interrupt.abort();
  };
  process.on("SIGINT", onSigint);
  const showProgress = process.stderr.isTTY === true && flags.format === "text";
  const results = await images
    .runImages(docker, podman, plan, chosen, {
      onConflict: flags.onConflict,
      stallMs: flags.stallTimeout,
      parallel: flags.parallel,
      signal: interrupt.signal,
      space,
      clients,
      progress: showProgress ? (text) => io.err(`\r\u001b[K${safeLine(text)}`) : null,
    })
    .finally(() => {
      process.off("SIGINT", onSigint);
      if (showProgress) io.err("\r\u001b[K");
    });
  if (flags.format === "json") json({ images: results, notChosen: plan.notChosen });
  else {
    for (const r of results) printImageResult(r, formatBytes);
    describeNotChosen(plan);
  }
  if (interrupt.signal.aborted) return EXIT.interrupted;
  return results.some((r) => r.status === "failed") ? EXIT.failed : EXIT.ok;
}

function describeImages(
  items: ImagePlanItem[],
  flags: { onConflict: string },
  who: string,
  formatBytes: (n: number) => string,
): void {
  for (const i of items) {
    const to = i.names.length ? i.names.map((n) => n.podman).join(", ") : "(untagged)";
    const what =
      i.action.kind === "load"
        ? "load"
        : i.action.kind === "tag"
          ? `in Podman already; add ${i.action.missing.map((n) => n.podman).join(", ")}`
          : i.action.kind === "already-migrated"
            ? "already migrated"
            : `conflict: ${i.action.conflicts.map((c) => `${c.name} is ${c.podmanId.slice(7, 19)}`).join(", ")} (--on-conflict ${flags.onConflict})`;
    line(
      `${i.action.kind === "conflict" && flags.onConflict === "fail" ? "✖" : "•"} ${i.source} ${i.id.slice(7, 19)} → ${to}${who}: ${formatBytes(i.sizeBytes)}, ${what}`,
    );
    for (const note of new Set(i.names.flatMap((n) => (n.note ? [n.note] : [])))) line(`    note: ${note}`);
  }
}

function describeNotChosen(plan: ImagePlan): void {
  for (const n of plan.notChosen) line(`  not moved: ${n.source}: ${n.reason}`);
}

function printImageResult(r: ImageResult, formatBytes: (n: number) => string): void {
  const mark = r.status === "failed" ? "✖" : "✔";
  const to = r.names.length ? r.names.map((n) => n.podman).join(", ") : r.id;
  const stats =
    r.status === "migrated"
      ? ` ${formatBytes(r.bytes)}, ${r.durationMs} ms${r.verified ? ", id and names verified" : ""}`
      : "";
  line(`${mark} ${r.source} → ${to}: ${r.status}${stats}${r.error ? `: ${r.error}` : ""}`);
  for (const n of r.notes) line(`    note: ${n}`);
}

export async function runMigrateNetworks(names: string[], flags: NetworkFlags): Promise<number> {
  if (flags.compose && names.length > 0) throw new UsageError("name networks or give --compose, not both");
  const networks = await import("../migrate/networks.js");
  const { user, docker, podman } = await openTarget(flags);
  await docker.version();
  const project = flags.compose ? await composeNetworks(flags.compose, docker, podman) : null;
  const who = user ? ` (rootless, ${user.name})` : "";
  const extra = project ? { notInDocker: project.notInDocker } : {};
  const { items, builtin } =
    project && project.names.length === 0
      ? { items: [], builtin: project.builtin }
      : await networks.planNetworks(docker, podman, project?.names ?? names);
  if (project && flags.format !== "json") describeNotInDocker(project.notInDocker, who);
  if (items.length === 0) {
    if (flags.format === "json") json({ networks: [], notCopied: builtin, ...extra });
    else
      line(
        `No user-defined Docker networks to migrate${project ? " for this project" : ""}${builtin.length ? ` (${builtin.join(", ")} are Docker's own)` : ""}.`,
      );
    return EXIT.ok;
  }
  if (flags.dryRun) {
    if (flags.format === "json") json({ networks: items, notCopied: builtin, ...extra });
    else describeNetworks(items, flags, who);
    return EXIT.ok;
  }
  let chosen = items;
  if (!flags.yes) {
    describeNetworks(items, flags, who);
    if (!interactive()) {
      io.err("podlift: nothing moved: no terminal to ask on. Pass --yes to migrate these networks.\n");
      return EXIT.failed;
    }
    const { checkbox } = await import("@inquirer/prompts");
    const picked = await checkbox({
      message: "Which networks should podlift create in Podman?",
      choices: items
        .filter((i) => i.problem === null)
        .map((i) => ({
          name: safeLine(`${i.name} (${i.driver})`),
          value: i.name,
          checked: i.conflict === "none",
        })),
    });
    chosen = items.filter((i) => picked.includes(i.name) || i.problem !== null);
  }
  const results: NetworkResult[] = [];
  for (const item of chosen) results.push(await networks.migrateNetwork(podman, item, flags.onConflict));
  if (flags.format === "json") json({ networks: results, notCopied: builtin, ...extra });
  else
    for (const r of results) {
      line(
        `${r.status === "failed" ? "✖" : "✔"} ${r.source} (${r.driver}): ${r.status}${r.error ? `: ${r.error}` : ""}`,
      );
      for (const f of r.findings) line(`    ${f.option}=${f.value}: ${f.message}`);
      for (const n of r.notes) line(`    note: ${n}`);
    }
  return results.some((r) => r.status === "failed") ? EXIT.failed : EXIT.ok;
}

interface ProjectNetworks {
  /** On Docker: these move. */
  names: string[];
  /** Docker's own networks the project names (host, bridge): never copied. */
  builtin: string[];
  /** Not on Docker: Compose creates its own on `up`; an external one must exist first. */
  notInDocker: { name: string; external: boolean; inPodman: boolean }[];
}

/** The Docker networks a compose project uses, and those it names that Docker does not have. */
async function composeNetworks(
  file: string,
  docker: import("../migrate/docker.js").DockerClient,
  podman: import("../migrate/podman.js").PodmanTarget,
): Promise<ProjectNetworks> {
  const [{ loadValidProject }, { projectNetworks }, { BUILTIN_NETWORKS }] = await Promise.all([
    import("../compose/project.js"),
    import("../compose/resources.js"),
    import("../migrate/network-spec.js"),
  ]);
  const wanted = projectNetworks(await loadValidProject(file, process.env));
  const onDocker = new Set((await docker.networks()).map((n) => n.Name));
  const onPodman = new Set(
    (await podman.podman(["network", "ls", "--format", "{{.Name}}"])).stdout.split("\n").filter(Boolean),
  );
  const builtin = wanted.filter((r) => BUILTIN_NETWORKS.includes(r.name)).map((r) => r.name);
  const rest = wanted.filter((r) => !BUILTIN_NETWORKS.includes(r.name));
  return {
    names: rest.filter((r) => onDocker.has(r.name)).map((r) => r.name),
    builtin,
    notInDocker: rest
      .filter((r) => !onDocker.has(r.name))
      .map((r) => ({ name: r.name, external: r.external, inPodman: onPodman.has(r.name) })),
  };
}

function describeNotInDocker(missing: ProjectNetworks["notInDocker"], who: string): void {
  for (const m of missing) {
    if (m.inPodman) line(`• ${m.name}${who}: not on Docker; Podman has it already`);
    else if (m.external)
      line(
        `✖ ${m.name}${who}: external, and on neither engine: create it before \`up\` (${shellLine(["podman", "network", "create", m.name])})`,
      );
    else line(`• ${m.name}${who}: not on Docker; Compose creates it on \`up\``);
  }
}

function describeNetworks(items: NetworkPlanItem[], flags: { onConflict: string }, who: string): void {
  for (const i of items) {
    const state = i.problem
      ? `cannot move: ${i.problem}`
      : i.conflict === "already-migrated"
        ? "already migrated (a Podman network of that name has the same settings)"
        : i.conflict === "exists"
          ? `a different Podman network ${i.name} exists (${i.differences.join("; ")}; --on-conflict ${flags.onConflict})`
          : "create";
    line(`${i.problem ? "✖" : "•"} ${i.name} (${i.driver})${who}: ${state}`);
    if (!i.problem && i.conflict !== "already-migrated") line(`    ${shellLine(["podman", ...i.args])}`);
    if (!i.problem && i.subnetInUse.length > 0)
      line(`    ✖ Podman will refuse it now: ${subnetInUseMessage(i)}`);
    for (const f of i.findings) line(`    ${f.option}=${f.value}: ${f.message}`);
  }
}

/** podlift migrate: what it would move, of every kind; nothing moves. */
export async function runMigrateOverview(flags: {
  user?: string;
  dockerHost?: string;
  format: "text" | "json";
  dryRun?: boolean;
  all?: boolean;
}): Promise<number> {
  const [images, networks, plan, { formatBytes }] = await Promise.all([
    import("../migrate/images.js"),
    import("../migrate/networks.js"),
    import("../migrate/plan.js"),
    import("../migrate/volumes.js"),
  ]);
  const { host, user, docker, podman } = await openTarget(flags);
  await docker.version();
  const common = { onConflict: "fail" as const, format: flags.format, dryRun: true };
  if (flags.format === "json") {
    const volumes = await plan.planMigration(host, docker, podman, {
      names: [],
      map: new Map(),
      sizes: flags.dryRun === true,
      via: "auto",
    });
    const imagePlan = await images.planImages(docker, podman, { names: [], all: flags.all === true });
    const networkPlan = await networks.planNetworks(docker, podman, []);
    json({
      volumes,
      images: imagePlan.items,
      notChosen: imagePlan.notChosen,
      networks: networkPlan.items,
      notCopied: networkPlan.builtin,
    });
    return EXIT.ok;
  }
  const who = user ? ` for ${user.name}'s rootless Podman` : " for rootful Podman";
  if (!flags.dryRun) {
    const [vols, imagePlan, networkPlan] = [
      await docker.volumes(),
      await images.planImages(docker, podman, { names: [], all: flags.all === true }),
      await networks.planNetworks(docker, podman, []),
    ];
    line(`What podlift would move from Docker${who}:`);
    line(`  volumes (${vols.length}): ${vols.map((v) => v.Name).join(", ") || "none"}`);
    line(
      `  images (${imagePlan.items.length}, ${formatBytes(imagePlan.items.reduce((n, i) => n + i.sizeBytes, 0))}): ${imagePlan.items.map((i) => i.source).join(", ") || "none"}${imagePlan.notChosen.length ? ` (and ${imagePlan.notChosen.length} pulled from registries, with --all)` : ""}`,
    );
    line(
      `  networks (${networkPlan.items.length}): ${networkPlan.items.map((n) => n.name).join(", ") || "none"}`,
    );
    line(
      "Run podlift migrate volumes|images|networks --dry-run for each plan, or without --dry-run to move them.",
    );
    return EXIT.ok;
  }
  line(`Volumes${who}:`);
  const volumeFlags: MigrateFlags = {
    ...common,
    user: flags.user,
    dockerHost: flags.dockerHost,
    map: [],
    verify: true,
    parallel: 1,
    via: "auto",
  };
  let code: number = await runMigrate([], volumeFlags);
  line(`Images${who}:`);
  code = Math.max(
    code,
    await runMigrateImages([], { ...common, ...flags, all: flags.all, parallel: 1, stallTimeout: 60000 }),
  );
  line(`Networks${who}:`);
  code = Math.max(
    code,
    await runMigrateNetworks([], { ...common, user: flags.user, dockerHost: flags.dockerHost }),
  );
  return code;
}
