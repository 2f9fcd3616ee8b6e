// The built command line against hostile and careless input: it never damages the host, never
// hangs, never prints raw terminal escapes, and ends every error in one line with a clean code.
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const work = mkdtempSync(path.join(os.tmpdir(), "podlift-cli-safety-"));

function podlift(args: string[], options: { cwd?: string; timeout?: number } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd ?? work,
        env: { ...process.env, CI: "true" },
        timeout: options.timeout ?? 60000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === "number" ? code : -1, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** A host root with the given files (paths relative to it). */
function root(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(work, "root-"));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), content);
  }
  return dir;
}

const OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n';
const oneCleanLine = (stderr: string) => {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |internal error/);
};

describe("output files", () => {
  it("--output /dev/null leaves /dev/null a character device", async () => {
    const host = root({ "etc/os-release": OS });
    const r = await podlift([
      "doctor",
      "--root",
      host,
      "--only",
      "host-files",
      "--format",
      "json",
      "--output",
      "/dev/null",
    ]);
    expect(r.code).toBe(0);
    expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
  });

  it("--output - writes the report to standard output", async () => {
    const host = root({ "etc/os-release": OS });
    const r = await podlift([
      "doctor",
      "--root",
      host,
      "--only",
      "host-files",
      "--format",
      "json",
      "-o",
      "-",
    ]);
    expect(JSON.parse(r.stdout).schemaVersion).toBe(1);
  });

  it("a missing folder, a folder and x.json/ are usage errors in one line", async () => {
    const host = root({ "etc/os-release": OS });
    const base = ["doctor", "--root", host, "--only", "host-files", "--format", "json", "-o"];
    for (const target of ["nodir/x.json", work, "x.json/"]) {
      const r = await podlift([...base, target]);
      expect(r.code, target).toBe(2);
      oneCleanLine(r.stderr);
    }
    expect(() => statSync(path.join(work, "x.json"))).toThrow();
  });

  it("bundle refuses a bad --output before collecting anything", async () => {
    mkdirSync(path.join(work, "adir"), { recursive: true });
    for (const target of ["nodir/x.tgz", "x.tgz/", "adir"]) {
      const r = await podlift(["bundle", "--root", work, "-o", target]);
      expect(r.code, target).toBe(2);
      expect(r.ms).toBeLessThan(5000);
      oneCleanLine(r.stderr);
    }
    expect(() => statSync(path.join(work, "x.tgz"))).toThrow();
  });
});

describe("stdout under another name", () => {
  it("-o /dev/stdout with stdout redirected to a file gives one valid report", async () => {
    const host = root({ "etc/os-release": OS });
    const file = path.join(work, "redirected.json");
    const fd = openSync(file, "w");
    execFileSync(
      process.execPath,
      [BIN, "doctor", "--root", host, "--only", "host-files", "--format", "json", "-o", "/dev/stdout"],
      { stdio: ["ignore", fd, "ignore"], env: { ...process.env, CI: "true" } },
    );
    closeSync(fd);
    expect(JSON.parse(readFileSync(file, "utf8")).schemaVersion).toBe(1);
  });
});

describe("fix never plans a write through another user's link", () => {
  it("refuses ~/.profile -> /etc/shadow and never shows the shadow file in the dry run", async () => {
    const host = root({
      "etc/os-release": OS,
      "etc/passwd": "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
      "etc/shadow": "root:$6$topsecret:1::::::\n",
    });
    mkdirSync(path.join(host, "home/alice"), { recursive: true });
    symlinkSync("/etc/shadow", path.join(host, "home/alice/.profile"));
    execFileSync("chown", ["-h", "1000:1000", path.join(host, "home/alice/.profile")]);
    const base = ["fix", "--root", host, "-u", "alice", "--only", "docker-host-profile"];
    const dry = await podlift([...base, "--dry-run"]);
    expect(dry.stdout + dry.stderr).not.toContain("topsecret");
    expect(dry.stdout + dry.stderr).toContain("is a symbolic link owned by uid 1000");
    await podlift([...base, "--yes", "--allow-risky"]);
    expect(readFileSync(path.join(host, "etc/shadow"), "utf8")).toBe("root:$6$topsecret:1::::::\n");
    expect(statSync(path.join(host, "etc/shadow")).uid).toBe(0);
  });
});

describe("compose fix and links", () => {
  it("offers no :z for a source that links to /etc or a home, under --root", async () => {
    const host = root({
      "etc/os-release": OS,
      "etc/passwd": "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
      "sys/fs/selinux/enforce": "1\n",
      "home/alice/.ssh/authorized_keys": "ssh-ed25519 AAAA\n",
      "srv/app/compose.yaml":
        "services:\n  app:\n    image: docker.io/library/alpine\n    volumes:\n      - ./etclink:/x\n      - ./homelink:/y\n      - ./data:/data\n",
      "srv/app/data/x": "",
    });
    symlinkSync("/etc", path.join(host, "srv/app/etclink"));
    symlinkSync("../../home/alice", path.join(host, "srv/app/homelink"));
    const r = await podlift([
      "compose",
      "check",
      "--root",
      host,
      "-u",
      "alice",
      "--format",
      "json",
      "/srv/app/compose.yaml",
    ]);
    const codes = JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code);
    expect(codes.filter((c: string) => c.startsWith("compose.bind"))).toEqual([
      "compose.bind-system-folder",
      "compose.bind-system-folder",
      "compose.bind-unlabeled",
    ]);
    const fix = await podlift([
      "compose",
      "fix",
      "--root",
      host,
      "-u",
      "alice",
      "--dry-run",
      "/srv/app/compose.yaml",
    ]);
    expect(fix.stdout).toContain("./data:/data:z");
    expect(fix.stdout).not.toMatch(/etclink:\/x:z|homelink:\/y:z/);
  });
});

describe("bundle --compose", () => {
  it("refuses a FIFO at once instead of hanging", async () => {
    const host = root({ "etc/os-release": OS });
    const fifo = path.join(work, "compose-fifo.yaml");
    execFileSync("mkfifo", [fifo]);
    const r = await podlift(["bundle", "--root", host, "--compose", fifo, "-o", path.join(work, "c.tgz")], {
      timeout: 20000,
    });
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(15000);
  });
});

describe("bundle -o -", () => {
  it("streams the archive to standard output and keeps the summary on stderr", async () => {
    const host = root({ "etc/os-release": OS });
    const tarball = execFileSync(process.execPath, [BIN, "bundle", "--root", host, "-o", "-"], {
      cwd: work,
      env: { ...process.env, CI: "true" },
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const listing = execFileSync("tar", ["tz"], { input: tarball, encoding: "utf8" });
    expect(listing).toMatch(/^podlift-bundle-\d{8}T\d{6}\/doctor\/report\.json$/m);
    expect(listing).toMatch(/manifest\.json$/m);
    expect(() => statSync(path.join(work, "-"))).toThrow();
  });
});

describe("usage errors instead of surprises", () => {
  it("refuses a timeout Node's timers cannot hold, on the command line and in the config", async () => {
    expect((await podlift(["doctor", "--timeout", "3000000000"])).code).toBe(2);
    writeFileSync(path.join(work, "big-timeout.json"), JSON.stringify({ timeoutMs: 1e12 }));
    const r = await podlift(["doctor", "--config", "big-timeout.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"timeoutMs" must be a whole number of milliseconds from 1 to 2147483647');
  });

  it("refuses unknown check ids in the config's skip list, like --skip", async () => {
    writeFileSync(path.join(work, "typo.json"), JSON.stringify({ skip: { "cdi-spec": "no GPUs" } }));
    const r = await podlift(["doctor", "--config", "typo.json"]);
    expect(r).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown check id in "skip": cdi-spec'),
    });
  });

  it("refuses a __proto__ skip id like any unknown id", async () => {
    writeFileSync(path.join(work, "proto.json"), '{"skip": {"__proto__": "r"}}');
    const r = await podlift(["doctor", "--config", "proto.json"]);
    expect(r).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown check id in "skip": __proto__'),
    });
  });

  it('refuses --root ""', async () => {
    expect((await podlift(["doctor", "--root", ""])).code).toBe(2);
  });

  it("refuses a FIFO as the config file at once", async () => {
    execFileSync("mkfifo", [path.join(work, "fifo.json")]);
    const r = await podlift(["doctor", "--config", "fifo.json"], { timeout: 10000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is a FIFO (named pipe), expected a regular file");
  });
});

describe("a hostile host root", () => {
  it("never stops the run: os-release a folder, passwd a FIFO, /proc/sys a loop — a report, exit 1", async () => {
    const host = root({});
    mkdirSync(path.join(host, "etc/os-release"), { recursive: true });
    execFileSync("mkfifo", [path.join(host, "etc/passwd")]);
    mkdirSync(path.join(host, "proc"));
    symlinkSync("/proc/sys", path.join(host, "proc/sys"));
    const r = await podlift(["doctor", "--root", host, "--format", "json", "--timeout", "3000"]);
    const report = JSON.parse(r.stdout);
    const hostFiles = report.checks.find((c: { id: string }) => c.id === "host-files");
    expect(hostFiles.findings.map((f: { code: string }) => f.code).sort()).toEqual([
      "host.kernel-unreadable",
      "host.os-release-unreadable",
      "host.passwd-unreadable",
    ]);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(3000 + 1000 + 2000);
  });

  it("prints no terminal escapes from PRETTY_NAME or a sysctl: they are shown escaped", async () => {
    const evil = "\u001b]0;pwned\u0007\u001b[2J\u009b1m";
    const host = root({
      "etc/os-release": `PRETTY_NAME="Evil${evil}OS"\nID=debian\n`,
      "proc/sys/kernel/osrelease": `6.1${evil}\n`,
    });
    const r = await podlift(["doctor", "--root", host, "--only", "host-files", "--verbose"]);
    expect(r.stdout).toContain("Evil\\x1b]0;pwned\\x07\\x1b[2J\\x9b1mOS");
    for (const c of ["\u0007", "\u001b", "\u009b"]) expect(r.stdout).not.toContain(c);
  });
});

describe("a large report through a pipe", () => {
  it("arrives whole: the process waits for standard output to drain before it exits", async () => {
    const project = mkdtempSync(path.join(work, "big-project-"));
    const services = Array.from(
      { length: 4000 },
      (_, i) => `  s${i}:\n    image: postgres\n    ports: ["${80 + (i % 900)}:80"]\n`,
    );
    writeFileSync(path.join(project, "compose.yaml"), `services:\n${services.join("")}`);
    const r = await podlift(["compose", "check", path.join(project, "compose.yaml"), "--format", "json"]);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThanOrEqual(4000);
  });
});

describe("a closed standard output", () => {
  it("ends quietly with the command's own exit code, no EPIPE stack trace", async () => {
    const host = root({ "etc/os-release": OS });
    for (const args of [["checks"], ["doctor", "--root", host, "--only", "host-files", "--format", "json"]]) {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy(); // the reader is gone before the first write, as with `| head -0`
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const code = await new Promise<number | null>((r) => child.on("close", r));
      expect(code, args.join(" ")).toBe(0);
      expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    }
  });
});
