// Inlined into the single file's head by scripts/build-single.mjs, and run there before the
// bundle is compiled and loaded (about 100 ms of a doctor run on a small machine): a plain
// `podlift doctor` first needs `podman --version`, the target's `podman info` (the slowest read
// of the whole run) and the canary's `ldd`, so they start here. src/host/early.ts hands each to
// the run when it asks for the same command as the same user with the same environment, on the
// live root; one that nothing takes is killed, with its group, when podlift exits. A rootless
// target (--user NAME, or SUDO_USER) gets its `podman info` as that user; --root, --only,
// --config, --help, a target not in /etc/passwd, or podlift not run as root for another user
// start nothing.
// biome-ignore lint/correctness/noUnusedVariables: called by the head that inlines this file.
function startEarly(args) {
  if (process.platform !== "linux" || args[0] !== "doctor" || typeof process.getuid !== "function")
    return undefined;
  let name;
  for (const [i, a] of args.entries()) {
    if (/^(--root|--only|--config|--help)(=|$)/.test(a) || /^-[a-zA-Z]*h/.test(a)) return undefined;
    if (a === "--user" || a === "-u") name = args[i + 1];
    else if (a.startsWith("--user=")) name = a.slice(7);
    else if (/^-[a-zA-Z]*u/.test(a)) return undefined; // -vu NAME and the like: left to the CLI
  }
  let me;
  try {
    me = require("node:os").userInfo().username;
  } catch {
    return undefined; // a uid without a passwd entry: the CLI sorts that out
  }
  if (name === undefined && process.getuid() === 0) name = process.env.SUDO_USER;
  // The target's `podman info` runs as the target, as LiveHost.run would run it (src/host/live-host.ts,
  // userEnv in src/doctor/podman-facts.ts): that user's ids, HOME, USER and LOGNAME, none of the
  // caller's session variables, XDG_RUNTIME_DIR when /run/user/<uid> is that user's, cwd /.
  let as = null;
  if (name !== undefined && name !== me) {
    if (process.getuid() !== 0) return undefined;
    as = targetUser(name);
    if (as === null) return undefined; // not in /etc/passwd: the CLI asks NSS
  }
  const { spawn } = require("node:child_process");
  const limit = 8 * 1024 * 1024;
  const started = [];
  // The canary's `ldd /usr/bin/true` (checks/canary.ts, CANARY_BINARY), unless --skip names it.
  const skip = args.flatMap((a, i) =>
    a.startsWith("--skip=") ? a.slice(7).split(",") : args[i - 1] === "--skip" ? a.split(",") : [],
  );
  for (const [argv, user] of [
    ...(skip.includes("canary") ? [] : [[["ldd", "/usr/bin/true"], null]]),
    [["podman", "--version"], null],
    [["podman", "info", "--format", "json"], as],
  ]) {
    const marker = `${process.pid}-early-${started.length}`;
    const run = { argv, marker, startedAt: performance.now(), out: [], err: [], bytes: 0, overflow: false };
    // What LiveHost.run is asked for when it may take this run over: the user and the extra env.
    run.user = user?.name;
    run.env = user?.runtimeDir ? { XDG_RUNTIME_DIR: user.runtimeDir } : undefined;
    const env = { ...process.env, PODLIFT_CHILD: marker };
    if (user) {
      for (const k of ["XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "XDG_CONFIG_HOME"]) delete env[k];
      Object.assign(env, { HOME: user.home, USER: user.name, LOGNAME: user.name }, run.env);
    }
    try {
      run.child = spawn(argv[0], argv.slice(1), {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env,
        ...(user ? { uid: user.uid, gid: user.gid, cwd: "/" } : {}),
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

/** A user's passwd entry and runtime folder, or null (no such line, an unreadable passwd). */
function targetUser(name) {
  const fs = require("node:fs");
  let text;
  try {
    // Only a regular file, and only its first MiB (a FIFO or a device here must not block).
    const fd = fs.openSync("/etc/passwd", fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      if (!fs.fstatSync(fd).isFile()) return null;
      const buffer = Buffer.alloc(1024 * 1024);
      text = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  const line = text.split("\n").find((l) => l.split(":")[0] === name);
  const f = line?.split(":");
  if (!f || f.length < 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return null;
  const user = { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5], runtimeDir: null };
  try {
    const dir = `/run/user/${user.uid}`;
    const st = fs.statSync(dir);
    if (st.isDirectory() && st.uid === user.uid) user.runtimeDir = dir;
  } catch {
    // none: podman picks its own
  }
  return user;
}
