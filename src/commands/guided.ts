// podlift with no subcommand: the guided setup on a terminal; elsewhere the doctor's report.
import { EXIT } from "../doctor/exit-code.js";
import { interactive, useColor } from "../text/terminal.js";
import { type DoctorFlags, io, prepare } from "./common.js";
import { doctor } from "./doctor.js";
import { runMigrate } from "./migrate.js";
import { toolVersion } from "./version.js";

export async function guided(opts: { root: string; user?: string; color: boolean }): Promise<number> {
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
    import("../../fixes/index.js"),
    import("../fix/planning.js"),
    import("../fix/session.js"),
    import("../fix/journal.js"),
    import("../../reports/index.js"),
  ]);
  const prepared = await prepare(flags, [], { doctorRun: true });
  const { host, facts, checks } = prepared;
  const state = stateDir(host);
  // The wizard may apply fixes: like fix --yes, it holds the lock from before its doctor run
  // (what the plans come from) to the end, so a second podlift cannot plan from the same state.
  const held = await run.fixLock(host).catch(async (error: unknown) => {
    await prepared.discardEarly();
    throw error;
  });
  for (const notice of held.notices) io.err(`podlift: ${notice}\n`);
  try {
    return await runWizard(
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
            lock: held.lock,
          }),
        async saveReport(result) {
          const file = `${state}/reports/doctor-${result.startedAt.replace(/[-:]/g, "").replace(/\..*$/, "")}.json`;
          await host.writer().writeFile(file, reports.writeJson(result), 0o600);
          return host.root === "/" ? file : `${host.root}${file}`;
        },
        async migrate() {
          const { answeringDocker } = await import("../migrate/docker.js");
          const docker = await answeringDocker(host);
          if (docker === null) return null;
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
              dockerHost: docker.dockerHost,
            });
            const changed = code === EXIT.ok ? ["volumes migrated (see above)"] : [];
            // Then images and networks: each shows its plan and asks which to move.
            const { runMigrateImages, runMigrateNetworks } = await import("./migrate-objects.js");
            const common = {
              user,
              dockerHost: docker.dockerHost,
              onConflict: "fail" as const,
              format: "text" as const,
            };
            io.out("\n   Images built or tagged here (Podman cannot pull them):\n");
            if ((await runMigrateImages([], { ...common, parallel: 4, stallTimeout: 60000 })) === EXIT.ok)
              changed.push("images migrated (see above)");
            io.out("\n   Docker's user-defined networks:\n");
            if ((await runMigrateNetworks([], common)) === EXIT.ok)
              changed.push("networks created (see above)");
            return changed;
          };
        },
      },
      io,
      useColor(opts),
    );
  } finally {
    await held.lock();
    await prepared.discardEarly(); // the canary's early containers, when the wizard never ran its doctor
  }
}
