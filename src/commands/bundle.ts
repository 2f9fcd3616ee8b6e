// podlift bundle: collect, redact, archive; or redact an existing bundle again.
import path from "node:path";
import { EXIT } from "../doctor/exit-code.js";
import { UsageError } from "../errors.js";
import { safeLine } from "../text/safe-text.js";
import { io, prepare } from "./common.js";
import { toolVersion } from "./version.js";

export interface BundleFlags {
  output?: string;
  obfuscate?: boolean;
  redactRules?: string;
  redactOnly?: string;
  dryRun?: boolean;
  compose: string[];
  root: string;
  user?: string;
  timeout?: number;
}

async function loadRules(file: string | undefined) {
  if (!file) return undefined;
  const { readRegularText } = await import("../host/safe-read.js");
  let raw: { patterns?: unknown; literals?: unknown };
  try {
    const text = await readRegularText(file, { maxBytes: 1024 * 1024 });
    if (text === null) throw new Error("no such file");
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--redact-rules ${file}: ${(error as Error).message}`);
  }
  const strings = (v: unknown, what: string) => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
      throw new UsageError(`--redact-rules ${file}: "${what}" must be a list of strings`);
    return v as string[];
  };
  const rules = { patterns: strings(raw.patterns, "patterns"), literals: strings(raw.literals, "literals") };
  for (const p of rules.patterns) {
    try {
      new RegExp(p, "g");
    } catch (error) {
      throw new UsageError(
        `--redact-rules ${file}: pattern ${JSON.stringify(p)} is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  }
  return rules;
}

export async function runBundle(flags: BundleFlags): Promise<number> {
  const [{ Redactor }, b, { collectors }, os] = await Promise.all([
    import("../text/redact.js"),
    import("../bundle/bundle.js"),
    import("../bundle/collectors.js"),
    import("node:os"),
  ]);
  const custom = await loadRules(flags.redactRules);
  const { checkOutputTarget, isOwnStdout } = await import("../host/atomic.js");
  if (flags.redactOnly) {
    const { stat } = await import("node:fs/promises");
    const input = flags.redactOnly;
    // Only a regular file is opened: a FIFO here would block a worker thread forever.
    const kind = await stat(input).then(
      (s) => (s.isFile() ? null : "is not a regular file"),
      (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? "does not exist" : (e.code ?? e.message)),
    );
    if (kind !== null) throw new UsageError(`cannot read ${safeLine(input)}: it ${kind}`);
    const wanted = flags.output ?? input.replace(/(\.tar\.gz|\.tgz)?$/, "-redacted.tar.gz");
    const output = (await isOwnStdout(wanted)) ? "-" : wanted;
    await checkOutputTarget(output);
    const old = await b.readBundle(input).catch((error: Error) => {
      throw new UsageError(`cannot read ${safeLine(input)}: ${error.message}`);
    });
    const manifest = await b.writeBundle(
      output,
      old.prefix,
      old.entries,
      old.manifest.missing,
      new Redactor({ custom }),
      `podlift ${toolVersion()}`,
    );
    if (output !== "-") io.out(`${safeLine(output)}\n`);
    io.err(
      `podlift: re-redacted ${manifest.files.length} files (${
        Object.entries(manifest.redactions)
          .map(([k, v]) => `${k}: ${v}`)
          .join(", ") || "nothing new"
      })\n`,
    );
    return EXIT.ok;
  }
  const named = flags.output ?? `podlift-bundle-${os.hostname()}-${stampNow()}.tar.gz`;
  // /dev/stdout or the file stdout goes to: the same as `-`, so the path line cannot land in it.
  const output = (await isOwnStdout(named)) ? "-" : named;
  // A wrong --output fails now, not after a minute of collecting.
  const target = await checkOutputTarget(output);
  if (flags.obfuscate && !target.regular)
    throw new UsageError(
      "--obfuscate keeps its mapping beside the bundle: --output must name a regular file",
    );
  const prepared = await prepare(
    { only: [], skip: [], root: flags.root, user: flags.user, color: false, compose: undefined },
    [],
  );
  const { host, facts } = prepared;
  const user = facts.rootful ? null : facts.targetUser;
  const { userEnv } = await import("../doctor/podman-facts.js");
  const dockerHost = await (await import("../migrate/docker.js")).dockerAddress(host);
  const list = collectors({
    host,
    user,
    userEnv: user ? await userEnv(host, user) : undefined,
    compose: flags.compose.map((c) => path.resolve(c)),
    dockerHost,
    timeoutMs: flags.timeout,
  });
  const reports = await import("../../reports/index.js");
  // Both report collectors share one doctor run, even when they start at the same moment.
  let pending: ReturnType<typeof prepared.run> | undefined;
  const doctorReport = () => {
    pending ??= prepared.run();
    return pending;
  };

  list.unshift(
    { file: "doctor/report.json", produce: async () => reports.writeJson(await doctorReport()) },
    {
      file: "doctor/report.txt",
      produce: async () => reports.writeText(await doctorReport(), { color: false, verbose: true }),
    },
    {
      file: "host/environment.txt",
      produce: async () =>
        Object.entries(process.env)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join("\n"),
    },
  );
  if (flags.dryRun) {
    for (const c of list)
      io.out(
        `${c.file}: ${c.argv ? `$ ${c.user ? `(as ${c.user}) ` : ""}${c.argv.join(" ")}` : c.paths ? c.paths.join(", ") : "made by podlift"}\n`,
      );
    return EXIT.ok;
  }
  const hostName = os.hostname();
  const prefix = `podlift-bundle-${stampNow()}`;
  const { parsePasswd } = await import("../host/users.js");
  const hostsFile = (await host.readFile("/etc/hosts")) ?? "";
  const redactor = new Redactor({
    custom,
    obfuscate: flags.obfuscate
      ? {
          hostnames: [
            hostName,
            ((await host.readFile("/etc/hostname")) ?? "").trim(),
            ...hostsFile
              .split("\n")
              .flatMap((l) => l.replace(/#.*/, "").trim().split(/\s+/).slice(1))
              .filter((h) => !/^(localhost|ip6-|localhost\.)/.test(h)),
          ],
          users: parsePasswd((await host.readFile("/etc/passwd")) ?? "")
            .filter((u) => u.uid >= 1000 && u.uid < 65534)
            .map((u) => u.name)
            .concat(user ? [user.name] : []),
        }
      : undefined,
  });
  const collected = await b.collectAll(host, list);
  const { entries, missing } = b.entriesFrom(collected);
  const manifest = await b.writeBundle(
    output,
    prefix,
    entries,
    missing,
    redactor,
    `podlift ${toolVersion()}`,
  );
  // With -o - the archive itself is on standard output: the summary goes to stderr only.
  if (output !== "-") io.out(`${safeLine(output)}\n`);
  io.err(
    `podlift: ${manifest.files.length} files, ${missing.length} collectors had nothing; redacted: ${
      Object.entries(manifest.redactions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "nothing"
    }${flags.obfuscate ? `; mapping kept at ${output}.mapping.json (do not send it)` : ""}\n`,
  );
  return EXIT.ok;
}

function stampNow(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
}
