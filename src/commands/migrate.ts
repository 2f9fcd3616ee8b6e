// podlift migrate volumes: plan, ask, copy, report.
import { EXIT } from "../doctor/exit-code.js";
import { UsageError } from "../errors.js";
import { safeLine } from "../text/safe-text.js";
import { interactive } from "../text/terminal.js";
import { io } from "./common.js";

export interface MigrateFlags {
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

/** The Docker source and the Podman target every migrate command works between. */
export async function openTarget(flags: { user?: string; dockerHost?: string }) {
  const [{ LiveHost }, { DockerClient }, { PodmanTarget }, { lookupUser }] = await Promise.all([
    import("../host/live-host.js"),
    import("../migrate/docker.js"),
    import("../migrate/podman.js"),
    import("../host/users.js"),
  ]);
  const host = new LiveHost("/");
  let user = null;
  if (flags.user) {
    user = await lookupUser(host, flags.user);
    if (user === null) throw new UsageError(`unknown user "${flags.user}"`);
    if (user.uid === 0) user = null;
  } else if (host.currentUser().uid !== 0) {
    user = host.currentUser();
  }
  const docker = new DockerClient(
    flags.dockerHost ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock",
  );
  return { host, user, docker, podman: new PodmanTarget(host, user) };
}

export async function runMigrate(names: string[], flags: MigrateFlags): Promise<number> {
  const [plan, { runMigration, formatBytes }] = await Promise.all([
    import("../migrate/plan.js"),
    import("../migrate/volumes.js"),
  ]);
  const { host, user, docker, podman } = await openTarget(flags);
  const wanted = [...names, ...(flags.compose ? await plan.composeVolumes(flags.compose) : [])];
  await docker.version(); // a clear "no Docker engine answers" before anything else
  try {
    return await migrateWith(docker, podman, host, user, wanted, flags, plan, runMigration, formatBytes);
  } finally {
    await docker.removeHelperImage();
  }
}

async function migrateWith(
  docker: import("../migrate/docker.js").DockerClient,
  podman: import("../migrate/podman.js").PodmanTarget,
  host: import("../host/types.js").Host,
  user: import("../host/types.js").UserInfo | null,
  wanted: string[],
  flags: MigrateFlags,
  plan: typeof import("../migrate/plan.js"),
  runMigration: typeof import("../migrate/volumes.js").runMigration,
  formatBytes: (n: number) => string,
): Promise<number> {
  const items = await plan.planMigration(host, docker, podman, {
    names: wanted,
    map: plan.parseMap(flags.map),
    // Sizes make Docker walk every volume: worth it for a person (plan, ETA), not for --yes runs.
    sizes:
      flags.dryRun === true || (!flags.yes && interactive()) || (interactive() && flags.format === "text"),
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
      line(
        `${i.problem ? "✖" : "•"} ${i.source.Name} → ${i.target}${user ? ` (rootless, ${user.name})` : ""}: ${bits.join("; ")}`,
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
    // Like a failed preflight: a volume that cannot move is a non-zero exit.
    return items.some((i) => i.problem !== null) ? EXIT.failed : EXIT.ok;
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
        name: safeLine(`${i.source.Name} → ${i.target}`),
        value: i.source.Name,
        checked: i.conflict !== "already-migrated",
      })),
    });
    chosen = chosen.filter((i) => picked.includes(i.source.Name));
  }
  const interrupt = new AbortController();
  // SIGTERM and SIGHUP (a service stop, a closed terminal) clean up as Ctrl-C does.
  let caught: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (caught === null) io.err("\npodlift: interrupted; stopping the copies and cleaning up\n");
    caught ??= signal;
    interrupt.abort();
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, onSignal);
  const results = await runMigration(docker, podman, chosen, {
    verify: flags.verify,
    onConflict: flags.onConflict,
    stopContainers: flags.stopContainers === true,
    keepPartial: flags.keepPartial === true,
    via: flags.via,
    parallel: flags.parallel,
    signal: interrupt.signal,
    progress: interactive() && flags.format === "text" ? "default" : "silent",
  }).finally(() => {
    for (const s of signals) process.off(s, onSignal);
  });
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
      line(`${mark} ${r.source} → ${r.target}: ${r.status}${stats}${r.error ? `: ${r.error}` : ""}`);
      for (const d of r.differences.slice(0, 20)) line(`    ${d.path}: ${d.problem}`);
      for (const n of r.notes) line(`    note: ${n}`);
    }
    for (const b of blocked) line(`✖ ${b.source.Name}: not migrated: ${b.problem}`);
  }
  if (interrupt.signal.aborted)
    return caught === "SIGTERM" ? 143 : caught === "SIGHUP" ? 129 : EXIT.interrupted;
  return results.some((r) => r.status === "failed") || blocked.length > 0 ? EXIT.failed : EXIT.ok;
}

/** One line of text output: volume names, paths and engine errors are host data, shown escaped. */
function line(text: string): void {
  io.out(`${safeLine(text)}\n`);
}
