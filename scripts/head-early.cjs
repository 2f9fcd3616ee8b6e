// Inlined into the single file's head (and dist/head.cjs, which bin/podlift.js runs) by
// scripts/build-single.mjs, and run there before the bundle is read and loaded (about 100 ms of a
// doctor run on a small machine): a plain `podlift doctor` waits on the target's `podman info`
// (the slowest read of the whole run) and on the canary's first containers, so they start here.
// src/host/early.ts hands each command to the run when it asks for the same command as the same
// user with the same environment, on the live root, and each canary (its tree, its container's
// name) to the canary check; a command nothing takes is killed, with its group, when podlift
// exits, and a canary container nothing takes is removed. A rootless target (--user NAME, or
// SUDO_USER) gets its `podman info` and a canary as that user; --root, --only, --config, --help, a
// target not in /etc/passwd, or podlift not run as root for another user start nothing.
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
  const early = { started: [], canaries: [], ready: null };
  const started = early.started;
  // Each run's own marker: counted, never derived from the lists, which shrink as runs are taken
  // over (a run started after a takeover had the taken one's marker, and its release untracked
  // that one: a hung `podman info` outlived podlift).
  let runs = 0;
  /**
   * Starts argv (as `user`, a passwd entry, or as podlift), in its own process group, and lists it
   * in `started` (a run nothing takes is killed at exit); null when it could not be spawned.
   */
  const startRun = (argv, user) => {
    const marker = `${process.pid}-early-${runs++}`;
    const run = { argv, marker, startedAt: performance.now(), out: [], err: [], bytes: 0, overflow: false };
    // What LiveHost.run is asked for when it may take this run over: the user and the extra env.
    run.user = user?.name;
    run.env = user?.runtimeDir ? { XDG_RUNTIME_DIR: user.runtimeDir } : undefined;
    try {
      run.child = spawn(argv[0], argv.slice(1), {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...envFor(user, run.env), PODLIFT_CHILD: marker },
        ...(user ? { uid: user.uid, gid: user.gid, cwd: "/" } : {}),
      });
    } catch {
      return null;
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
    return run;
  };
  // The slowest read first: the target's `podman info`.
  // (Podman's version is read from it: src/doctor/podman-facts.ts.)
  startRun(["podman", "info", "--format", "json"], as);
  // The canary's containers (checks/canary.ts), unless --skip names it: as root when podlift runs
  // as root, and as a rootless target (canaryUsers there).
  const skip = args.flatMap((a, i) =>
    a.startsWith("--skip=") ? a.slice(7).split(",") : args[i - 1] === "--skip" ? a.split(",") : [],
  );
  if (!skip.includes("canary")) {
    const users = process.getuid() === 0 ? [null, ...(as && as.uid !== 0 ? [as] : [])] : [null];
    early.ready = startCanary(early, users, startRun, kill);
  }
  early.missed = new Set();
  early.slowDirs = new Set();
  startOthers(skip, as, startRun, early, me);
  process.on("exit", () => {
    for (const run of started) kill(run);
    for (const canary of early.canaries) endCanary(canary, started, kill);
  });
  return early;
}

/**
 * The rest of what a plain doctor run starts on this host, started here too (their checks take
 * them over as they take `podman info`): `podman ps` for the target (the canary's leftovers,
 * services-restart, healthcheck-timers: src/doctor/podman-facts.ts), the compose providers on
 * PATH (podman-compose: COMPOSE_PROVIDERS in src/doctor/host-probes.ts, run where LiveHost.run
 * would find the program), and Docker's CLI's `--version` (docker-still-in-charge, whatIs: only a
 * `docker` that is a plain ELF file, which that check always runs; a link or a script it judges
 * first). From here each is a fork of a small process, not of the loaded podlift, and a run that
 * needs no other command never loads execa: 9.6 ms less per doctor run here (the median of 80
 * paired rounds). The lookups are asynchronous, and a PATH folder on a hung file system holds at
 * most one of Node's pool threads (look, below); a command whose check asked for it before its
 * lookup answered is not started here (early.missed: it would run twice).
 * --skip of every check that asks for one leaves it out; a podlift.json skip, which the head
 * cannot see, costs that command (killed at exit, like any run nothing takes).
 */
function startOthers(skip, as, startRun, early, me) {
  const wanted = (...ids) => ids.some((id) => !skip.includes(id));
  if (wanted("canary", "services-restart", "healthcheck-timers"))
    startRun(["podman", "ps", "-a", "--format", "json"], as);
  const path = process.env.PATH;
  // LiveHost.run spawns a program unless no PATH folder has it (absentFromPath): with a relative
  // folder in PATH it leaves the lookup to spawn, and so does the head, by starting nothing.
  const dirs = path ? path.split(":") : [];
  const compose = wanted("podman-compose") && dirs.length > 0 && dirs.every((d) => d.startsWith("/"));
  const docker = wanted("docker-still-in-charge");
  if (!compose && !docker) return;
  // A run asked for before its lookup answered was started by its check: not a second time.
  const late = (argv) => {
    if (!early.missed.has(JSON.stringify([argv, me, {}]))) startRun(argv, null);
  };
  // Each PATH folder gets one lookup at a time, and a second to answer: a folder on a hung file
  // system holds one of Node's four pool threads (for good: a stuck stat cannot be taken back),
  // never all of them; it is then looked in no more, here or by LiveHost.run (early.slowDirs:
  // spawn's own lookup, in the child, finds the program there or not).
  const queues = new Map();
  const look = (fn, dir, p) => {
    const op = (queues.get(dir) ?? Promise.resolve()).then(() => {
      if (early.slowDirs.has(dir)) throw new Error(`${dir} did not answer`);
      let timer;
      const slow = new Promise((_, reject) => {
        timer = setTimeout(() => {
          early.slowDirs.add(dir);
          reject(new Error(`${dir} did not answer`));
        }, 1000);
      });
      return Promise.race([fn(p), slow]).finally(() => clearTimeout(timer));
    });
    queues.set(
      dir,
      op.catch(() => {}),
    );
    return op;
  };
  // Whether argv[0] is in a PATH folder: null when a folder did not answer (nothing is started).
  const onPath = async (name) => {
    const found = await Promise.all(
      dirs.map((d) =>
        look(require("node:fs/promises").lstat, d, `${d}/${name}`).then(
          () => true,
          // As LiveHost.run's lookIn: only ENOENT and ENOTDIR say it is not there.
          (error) => (error.code === undefined ? null : error.code !== "ENOENT" && error.code !== "ENOTDIR"),
        ),
      ),
    );
    return found.includes(null) ? null : found.includes(true);
  };
  if (compose) for (const argv of COMPOSE_PROVIDERS) onPath(argv[0]).then((found) => found && late(argv));
  if (docker)
    dockerElf(
      (path || DOCKER_DEFAULT_PATH).split(":").filter((d) => d.startsWith("/")),
      look,
    ).then(
      (found) => found && late([found, "--version"]),
      () => {},
    );
}

/** The compose providers' version commands, in src/doctor/host-probes.ts's order (a test compares). */
const COMPOSE_PROVIDERS = [
  ["podman-compose", "--version"],
  ["docker-compose", "--version"],
  ["docker", "compose", "version"],
];

/** checks/docker-still-in-charge.ts's PATH when the environment has none (a test compares). */
const DOCKER_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The first executable `docker` in `dirs` as docker-still-in-charge finds it, when it is a plain
 * ELF file (not a link, not a script); null otherwise.
 */
async function dockerElf(dirs, look) {
  const fs = require("node:fs/promises");
  for (const dir of dirs) {
    const p = `${dir.replace(/\/+$/, "")}/docker`;
    const info = await look(fs.stat, dir, p).catch((error) => {
      if (error.code === undefined) throw error; // a folder that did not answer: give up
      return null;
    });
    if (!info?.isFile() || (info.mode & 0o111) === 0) continue;
    if ((await look(fs.lstat, dir, p)).isSymbolicLink()) return null;
    const { O_RDONLY, O_NONBLOCK, O_NOCTTY } = require("node:fs").constants;
    const handle = await look((f) => fs.open(f, O_RDONLY | O_NONBLOCK | O_NOCTTY), dir, p);
    try {
      const { buffer, bytesRead } = await look(() => handle.read(Buffer.alloc(4), 0, 4, 0), dir, p);
      return bytesRead === 4 && buffer.readUInt32BE(0) === 0x7f454c46 ? p : null;
    } finally {
      await handle.close();
    }
  }
  return null;
}

/** The environment a command run as `user` gets (LiveHost.run's), with `extra` on top. */
function envFor(user, extra) {
  const env = { ...process.env };
  if (user) {
    for (const k of ["XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", "XDG_CONFIG_HOME"]) delete env[k];
    Object.assign(env, { HOME: user.home, USER: user.name, LOGNAME: user.name }, extra);
  }
  return env;
}

/** Kills a run's process group, unless it has ended. */
function kill(run) {
  if (run.child.pid === undefined || run.child.exitCode !== null || run.child.signalCode !== null) return;
  try {
    process.kill(-run.child.pid, "SIGKILL");
  } catch {
    // gone already
  }
}

/**
 * The canary's first container for each user, as checks/canary.ts starts it: `ldd /usr/bin/true`,
 * a tree of the binary and its libraries (LiveHost.makeTempTree's), then `podman run` of it with
 * the default network, named and labelled (runContainer's argv). Resolves when they are started,
 * or given up (ldd failed or took over 3 s: the check then starts its own). src/host/early.ts
 * hands each to the check (takeEarlyCanary); one no check takes is removed when podlift exits.
 */
function startCanary(early, users, startRun, kill) {
  const { spawn } = require("node:child_process");
  return new Promise((resolve) => {
    let ldd;
    try {
      ldd = spawn("ldd", ["/usr/bin/true"], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      resolve();
      return;
    }
    const out = [];
    const late = setTimeout(() => kill({ child: ldd }), 3000);
    ldd.on("error", () => {
      clearTimeout(late);
      resolve();
    });
    ldd.stdout.on("data", (chunk) => out.push(chunk));
    ldd.on("close", (code) => {
      clearTimeout(late);
      if (code === 0) {
        const text = Buffer.concat(out).toString("utf8");
        const libraries = [...text.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]);
        for (const user of users) {
          try {
            startCanaryRun(early, user, libraries, startRun);
          } catch {
            // the check starts its own
          }
        }
      }
      resolve();
    });
  });
}

function startCanaryRun(early, user, libraries, startRun) {
  const fs = require("node:fs");
  const path = require("node:path");
  const top = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "podlift-"));
  try {
    fs.chmodSync(top, 0o755);
    for (const dir of ["etc", "dev", "proc", "sys", "run", "tmp"])
      fs.mkdirSync(path.join(top, dir), { recursive: true });
    for (const file of ["/usr/bin/true", ...libraries]) {
      const target = path.join(top, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // Only regular files are copied: a FIFO here would block the copy forever.
      if (!fs.statSync(file).isFile()) throw new Error(`${file} is not a regular file`);
      fs.copyFileSync(file, target);
      fs.chmodSync(target, 0o755);
    }
    if (user) chownTree(top, user.uid, user.gid);
    // As checks/canary.ts names them (canaryName): Math.random, not node:crypto's load.
    const half = () =>
      Math.floor(Math.random() * 0x1000000)
        .toString(16)
        .padStart(6, "0");
    const name = `podlift-canary-${half()}${half()}`;
    const argv = [
      "podman",
      "run",
      "--rm",
      "--name",
      name,
      "--label",
      "io.podlift.canary=true",
      "--rootfs",
      top,
      "/usr/bin/true",
    ];
    const run = startRun(argv, user);
    if (!run) throw new Error("podman did not start");
    early.canaries.push({ user: user?.name, tree: top, name, env: run.env, run, as: user });
  } catch (error) {
    fs.rmSync(top, { recursive: true, force: true });
    throw error;
  }
}

function chownTree(dir, uid, gid) {
  const fs = require("node:fs");
  fs.lchownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = require("node:path").join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else fs.lchownSync(p, uid, gid);
  }
}

/**
 * At exit, a canary no check took (a usage error, a podlift.json skip before its check): a run
 * still going is killed and its container removed by name (Podman's --rm never ran), and the tree
 * is removed.
 */
function endCanary(canary, started, kill) {
  const { run } = canary;
  const running = run.child.exitCode === null && run.child.signalCode === null;
  if (started.includes(run) && running) {
    kill(run);
    const user = canary.as;
    // As checks/canary.ts does after a kill: right after it, Podman may fail the removal (its shm
    // mount still busy) and succeed a moment later.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      let rm;
      try {
        rm = require("node:child_process").spawnSync("podman", ["rm", "--force", "--ignore", canary.name], {
          stdio: "ignore",
          timeout: 2000,
          killSignal: "SIGKILL",
          env: envFor(user, run.env),
          ...(user ? { uid: user.uid, gid: user.gid, cwd: "/" } : {}),
        });
      } catch {
        break; // nothing more to do at exit
      }
      if (rm.status === 0 || rm.status === null) break;
    }
  }
  try {
    require("node:fs").rmSync(canary.tree, { recursive: true, force: true });
  } catch {
    // a tree left in the temporary folder
  }
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
