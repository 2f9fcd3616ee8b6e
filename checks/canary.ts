// Static checks can pass while containers still fail to start (moby#47480), so podlift starts
// a real container: offline, nothing pulled, from a throwaway root filesystem of host binaries
// (/usr/bin/true and its libraries), rootful and for the target user, once without a network
// and once with the default one. A failure is classified into a cause and a remedy.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (--rootfs)

import { userEnv } from "../src/doctor/podman-facts.js";
import { within } from "../src/doctor/runner.js";
import type { Check, CheckContext, Finding } from "../src/doctor/types.js";
import { allowedUlimits } from "../src/host/limits.js";
import type { UserInfo } from "../src/host/types.js";
import { classify, errorLine } from "../src/parse/classify.js";
import { shellQuote } from "../src/text/safe-text.js";

export const CANARY_BINARY = "/usr/bin/true";
const DIRS = ["etc", "dev", "proc", "sys", "run", "tmp"];
const RUN_TIMEOUT_MS = 25000;

export const check: Check = {
  id: "canary",
  title: "Canary container",
  docs: "docs/checks/canary.md",
  timeoutMs: 60000,
  applies: () => true,
  async run(ctx) {
    const { host, facts } = ctx;
    // The long limit is for `podman run` alone: finding podman keeps to the run's --timeout.
    const prepMs = ctx.timeoutMs ?? RUN_TIMEOUT_MS;
    if ((await within(facts.podman.version(), prepMs, "`podman --version`")) === null) {
      return [
        {
          code: "canary.no-podman",
          status: "fail",
          message: "No container can start: Podman is not installed.",
        },
      ];
    }
    const me = host.currentUser();
    const users: UserInfo[] = [];
    if (me.uid === 0) users.push(me);
    if (!facts.rootful && (me.uid === 0 || me.name === facts.targetUser.name)) users.push(facts.targetUser);
    if (users.length === 0) {
      return [
        {
          code: "canary.cannot-switch-user",
          status: "warn",
          message: `Cannot start a container as ${facts.targetUser.name} while running as ${me.name}.`,
          remedy: `Run podlift as ${facts.targetUser.name}, or as root with --user ${shellQuote(facts.targetUser.name)}.`,
        },
      ];
    }
    const libraries = await within(sharedLibraries(ctx), prepMs, "`ldd /usr/bin/true`");
    return (await Promise.all(users.map((user) => canaryFor(ctx, user, libraries)))).flat();
  },
};

async function sharedLibraries({ host, signal }: CheckContext): Promise<string[]> {
  const ldd = await host.run(["ldd", CANARY_BINARY], { timeoutMs: 3000, signal });
  if (ldd.exitCode !== 0) return []; // statically linked, or no ldd: the binary alone may do
  return [...ldd.stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1] as string);
}

async function canaryFor(ctx: CheckContext, user: UserInfo, libraries: string[]): Promise<Finding[]> {
  const { host, signal } = ctx;
  const mode = user.uid === 0 ? "rootful" : `rootless (${user.name})`;
  const tree = await host.makeTempTree([CANARY_BINARY, ...libraries], DIRS, user);
  try {
    const asUser = user.name === host.currentUser().name ? undefined : user.name;
    const env = await userEnv(host, user);
    // Both runs at once: the network run costs as long as the plain one, not twice.
    const runs = await Promise.all(
      (["none", "default"] as const).map(async (network) => {
        const argv = [
          "podman",
          "run",
          "--rm",
          ...(network === "none" ? ["--network", "none"] : []),
          "--rootfs",
          tree.path,
          CANARY_BINARY,
        ];
        return {
          network,
          argv,
          r: await host.run(argv, { timeoutMs: RUN_TIMEOUT_MS, user: asUser, env, signal }),
        };
      }),
    );
    const out: Finding[] = [];
    for (const { network, argv, r } of runs) {
      const scope = network === "none" ? "without a network" : "with the default network";
      if (r.exitCode === 0) {
        out.push({
          code: network === "none" ? "canary.ok" : "canary.network-ok",
          status: "pass",
          message: `A ${mode} container starts ${scope} (${r.durationMs} ms).`,
          evidence: { mode, command: argv.join(" "), durationMs: r.durationMs },
        });
        continue;
      }
      const why = r.timedOut
        ? {
            code: "timeout",
            cause: `podman run did not finish within ${RUN_TIMEOUT_MS} ms.`,
            remedy:
              "Look for a hung podman process or a stuck storage lock (podman ps --all, podman system migrate).",
          }
        : classify(r.stderr);
      // The remedies for this cause, tried in the same throwaway tree with per-run flags: only
      // what really made the container start is offered as a fix (evidence.proven).
      const tried: string[] = [];
      const proven: string[] = [];
      let shown = "";
      for (const candidate of await candidatesFor(ctx, user, why.code)) {
        const withFlags = [
          ...argv.slice(0, argv.indexOf("--rootfs")),
          ...candidate.flags,
          ...argv.slice(argv.indexOf("--rootfs")),
        ];
        const again = await host.run(withFlags, { timeoutMs: RUN_TIMEOUT_MS, user: asUser, env, signal });
        const flags = candidate.flags.join(" ");
        if (again.exitCode === 0) {
          tried.push(`${flags}: starts (${again.durationMs} ms)`);
          if (candidate.fix) proven.push(candidate.fix);
          shown ||= ` With ${flags} it starts (${again.durationMs} ms)${candidate.fix ? `: podlift fix --only ${candidate.fix} makes that the default` : `, which ${candidate.diagnosis}`}.`;
        } else tried.push(`${flags}: ${again.timedOut ? "timed out" : `fails: ${errorLine(again.stderr)}`}`);
      }
      out.push({
        code: network === "none" ? "canary.failed" : "canary.network-failed",
        status: "fail",
        message: `A ${mode} container fails to start ${scope}: ${why.cause}${shown}`,
        evidence: {
          mode,
          command: argv.join(" "),
          exitCode: r.exitCode,
          error: errorLine(r.stderr),
          cause: why.code,
          ...(tried.length > 0 ? { tried, proven } : {}),
        },
        remedy: why.remedy,
      });
      if (network === "none") break; // the network run failed for the same reason: say it once
    }
    return out;
  } finally {
    await tree.cleanup();
  }
}

interface Candidate {
  flags: string[];
  /** The fix that makes these flags the default, or null for a diagnosis only. */
  fix: string | null;
  /** What a start with these flags tells, when it is no fix. */
  diagnosis?: string;
}

/** Per-run flags that may get past this cause, each tried in the canary's own tree. */
async function candidatesFor(ctx: CheckContext, user: UserInfo, cause: string): Promise<Candidate[]> {
  const { host, facts, signal } = ctx;
  if (cause === "rlimit") {
    const { nofile, nproc } = await allowedUlimits(host);
    return [
      {
        flags: ["--ulimit", `nofile=${nofile}:${nofile}`, "--ulimit", `nproc=${nproc}:${nproc}`],
        fix: "container-ulimits",
      },
    ];
  }
  if (cause === "crun-hybrid" || cause === "cgroup") {
    const out: Candidate[] = [];
    const info = await facts.podman.info(user);
    const runtime = info.ok ? info.info.host?.ociRuntime?.name : undefined;
    const runc = await host.run(["runc", "--version"], { timeoutMs: 3000, signal });
    if (runtime !== "runc" && runc.exitCode === 0)
      out.push({ flags: ["--runtime", "runc"], fix: "container-runtime" });
    out.push({
      flags: ["--cgroups", "disabled"],
      fix: null,
      diagnosis: "shows the cause is cgroups (no fix: containers then get no resource limits)",
    });
    return out;
  }
  return [];
}
