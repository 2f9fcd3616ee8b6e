// Targets (issue 14): a full `podlift doctor` as root within 1.5x `podman info`, for a rootless
// user (--user NAME, podlift run as root) within 2x that user's `podman info`. Also printed: the
// slowest probe the doctor runs, the canary's container start with the default network (the same
// `podman run --rootfs` of /usr/bin/true), so the doctor can be read against what it waits for.
// With --against BIN (another build's bin/podlift.js, e.g. from a git worktree of an older commit),
// that build's full doctor runs in the same interleaved rounds, for a paired before/after.
// The canary's network run costs much more on a host where no container is on the default network
// (netavark then creates the bridge and its firewall chains, and removes them after: ~36 iptables
// commands instead of ~20; 0.32 s against 0.19 s here): the bench says which state it measured,
// and --neighbour keeps a container (a local tree running sleep, nothing pulled) on the default
// network of the target during the rounds, the state of a host that runs containers.
// Usage: node bench/doctor.mjs [runs] [--user NAME] [--against BIN] [--neighbour]
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compare, pairedRatio } from "./lib.mjs";

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 10);
const userAt = args.indexOf("--user");
const user = userAt >= 0 ? args[userAt + 1] : undefined;
const bin = new URL("../bin/podlift.js", import.meta.url).pathname;
const as = user ? ["runuser", "-u", user, "--"] : [];
const target = user ? ["--user", user] : [];
const againstAt = args.indexOf("--against");
const against = againstAt >= 0 ? args[againstAt + 1] : undefined;

/** A container tree of `binary` and its libraries, owned by whoever runs the container. */
function treeOf(binary, prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const libs = [
    ...execFileSync("ldd", [binary])
      .toString()
      .matchAll(/(\/\S+)\s+\(0x/g),
  ].map((m) => m[1]);
  for (const sub of ["etc", "dev", "proc", "sys", "run", "tmp"]) mkdirSync(path.join(dir, sub));
  for (const file of [binary, ...libs]) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    copyFileSync(file, path.join(dir, file));
  }
  chmodSync(dir, 0o755);
  if (user) execFileSync("chown", ["-R", `${user}:`, dir]);
  return dir;
}

// The canary's tree: /usr/bin/true and its libraries.
const tree = treeOf("/usr/bin/true", "podlift-bench-canary-");

// A neighbour on root's default network (where the rootful canary runs, for a --user target too),
// when asked: sleep and its libraries in a tree of its own.
const neighbour = args.includes("--neighbour") ? `podlift-bench-neighbour-${process.pid}` : null;
let neighbourTree = null;
if (neighbour) {
  neighbourTree = treeOf("/usr/bin/sleep", "podlift-bench-neighbour-");
  execFileSync("podman", [
    "run",
    "-d",
    "--name",
    neighbour,
    "--rootfs",
    neighbourTree,
    "/usr/bin/sleep",
    "3600",
  ]);
}
const onNetwork = spawnSync("podman", ["ps", "-q", "--filter", "network=podman"], {
  encoding: "utf8",
}).stdout.trim();
console.log(
  onNetwork
    ? `state: ${onNetwork.split("\n").length} container(s) on the default network${neighbour ? " (--neighbour)" : ""}: the canary's network run finds the bridge and its firewall chains in place`
    : "state: no container on the default network: the canary's network run creates the bridge and its firewall chains and removes them after (try --neighbour for a host that runs containers)",
);
if (process.env.NODE_EXTRA_CA_CERTS)
  console.log(
    "note: NODE_EXTRA_CA_CERTS is set: bin/podlift.js starts node without it (Node 20 parses that file at every start)",
  );
console.log(
  `podlift doctor vs podman info, ${runs} interleaved runs each${user ? `, target user ${user}` : ""}`,
);
const canaryRun = [...as, "podman", "run", "--rm", "--rootfs", tree, "/usr/bin/true"];
const probe = spawnSync(canaryRun[0], canaryRun.slice(1), { encoding: "utf8" });
if (probe.status !== 0)
  console.log(
    `note: the canary's podman run fails here (exit ${probe.status}: ${(probe.stderr ?? "").trim().split("\n").at(-1)}); ` +
      "its row times a failure, and the doctor goes on to try remedies",
  );
try {
  const rows = compare(
    [
      { name: "podman info", argv: [...as, "podman", "info"] },
      {
        name: "podman run (the canary's start)",
        argv: canaryRun,
      },
      { name: "podlift doctor (all checks)", argv: [bin, "doctor", ...target] },
      // What the doctor's time is made of without podlift: the commands a doctor run starts on this
      // host, all at once from a shell (the canary's run as root and, for a target user, as that
      // user too), so that their contention for the two cores is in this row as in the doctor's.
      { name: "its commands alone, at once", argv: ["sh", "-c", probes()] },
      {
        name: "podlift doctor --skip canary",
        argv: [bin, "doctor", "--skip", "canary", ...target],
      },
      ...(against ? [{ name: "the other build's doctor", argv: [against, "doctor", ...target] }] : []),
    ],
    runs,
  );
  const [info, canary, full, alone, quick] = rows;
  const limit = user ? "2.00" : "1.50";
  console.log(
    `ratio to podman info: full ${(full.median / info.median).toFixed(2)} (target <= ${limit}), ` +
      `without the canary ${(quick.median / info.median).toFixed(2)}; the canary's podman run alone ${(canary.median / info.median).toFixed(2)}; ` +
      `full doctor minus its slowest probe: ${(full.median - Math.max(info.median, canary.median)).toFixed(0)} ms`,
  );
  const paired = (row) => {
    const p = pairedRatio(row, info);
    return `${p.median.toFixed(2)} (quartiles ${p.q1.toFixed(2)}-${p.q3.toFixed(2)})`;
  };
  console.log(`paired, round by round: full ${paired(full)}, without the canary ${paired(quick)}`);
  console.log(
    `its commands alone, at once: ${(alone.median / info.median).toFixed(2)}x podman info (paired ${paired(alone)}); ` +
      `podlift's own share of the doctor's time: ${(full.median - alone.median).toFixed(0)} ms`,
  );
  if (against)
    console.log(
      `the other build: full ${(rows[5].median / info.median).toFixed(2)}, paired ${paired(rows[5])}`,
    );
} finally {
  rmSync(tree, { recursive: true, force: true });
  if (neighbour) {
    spawnSync("podman", ["rm", "--force", "--time", "0", neighbour], { stdio: "ignore" });
    rmSync(neighbourTree, { recursive: true, force: true });
  }
}

/** A shell script that starts the doctor's commands together and waits for all of them. */
function probes() {
  const q = (argv) => argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const run = ["podman", "run", "--rm", "--rootfs", tree, "/usr/bin/true"];
  const commands = [
    [...as, "podman", "info", "--format", "json"],
    run,
    ...(user ? [[...as, ...run]] : []),
    [...as, "podman", "ps", "-a", "--format", "json"],
    ["docker", "compose", "version"],
    ["docker", "--version"],
  ];
  return `${commands.map((c) => `${q(c)} >/dev/null 2>&1 &`).join(" ")} wait`;
}
