// Inlined into the single file's head by scripts/build-single.mjs, and run there before the
// bundle is compiled and loaded (about 150 ms of a doctor run on a small machine): a plain
// `podlift doctor` first needs `podman --version` and the target's `podman info`, the slowest
// read of the whole run, and the canary's `ldd`, so they start here. src/host/early.ts hands them to the run (same
// argv, same user, the live root); one that nothing takes is killed, with its group, when
// podlift exits. Only a doctor run for the invoking user on "/" starts anything: --root, --user,
// a sudo target, --only, --config and --help start nothing.
// biome-ignore lint/correctness/noUnusedVariables: called by the head that inlines this file.
function startEarly(args) {
  if (process.platform !== "linux" || args[0] !== "doctor" || typeof process.getuid !== "function")
    return undefined;
  for (const a of args.slice(1)) {
    if (/^(--root|--user|--only|--config|--help)(=|$)/.test(a) || /^-[a-zA-Z]*[uh]/.test(a)) return undefined;
  }
  if (process.getuid() === 0 && process.env.SUDO_USER) return undefined;
  const { spawn } = require("node:child_process");
  const limit = 8 * 1024 * 1024;
  const started = [];
  // The canary's `ldd /usr/bin/true` (checks/canary.ts, CANARY_BINARY), unless --skip names it.
  const skip = args.flatMap((a, i) =>
    a.startsWith("--skip=") ? a.slice(7).split(",") : args[i - 1] === "--skip" ? a.split(",") : [],
  );
  for (const argv of [
    ...(skip.includes("canary") ? [] : [["ldd", "/usr/bin/true"]]),
    ["podman", "--version"],
    ["podman", "info", "--format", "json"],
  ]) {
    const marker = `${process.pid}-early-${started.length}`;
    const run = { argv, marker, startedAt: performance.now(), out: [], err: [], bytes: 0, overflow: false };
    try {
      run.child = spawn(argv[0], argv.slice(1), {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PODLIFT_CHILD: marker },
      });
    } catch {
      continue;
    }
    const keep = (list) => (chunk) => {
      run.bytes += chunk.length;
      if (run.bytes <= limit) list.push(chunk);
      else if (!run.overflow) {
        run.overflow = true;
        kill(run);
      }
    };
    // Nothing started here keeps podlift alive: the run that takes it over holds a deadline.
    run.child.unref();
    run.child.stdout.unref();
    run.child.stderr.unref();
    run.child.stdout.on("data", keep(run.out));
    run.child.stderr.on("data", keep(run.err));
    run.done = new Promise((resolve) => {
      run.child.on("error", (error) => resolve({ error }));
      run.child.on("close", (code, signal) => resolve({ code, signal }));
    });
    started.push(run);
  }
  function kill(run) {
    if (run.child.pid === undefined || run.child.exitCode !== null || run.child.signalCode !== null) return;
    try {
      process.kill(-run.child.pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  process.on("exit", () => {
    for (const run of started) kill(run);
  });
  return { started };
}
