// Many doctor reports into one answer for a fleet: which hosts are ready, which are blocked and on
// what, a check-by-host matrix, the most common blocking findings with their host counts, and
// which fixes would clear how many hosts. Pure: reports in, a FleetReport out (schema/fleet.schema.json).
import type { CheckStatus, RunResult } from "../src/doctor/types.js";
import { redactDeep } from "../src/text/redact.js";
import { safeDeep } from "../src/text/safe-text.js";

export type HostState = "ready" | "blocked" | "incomplete";

export interface FleetHost {
  /** The host's name, or the report file's name when the report has none. */
  name: string;
  file: string;
  state: HostState;
  exitCode: number;
  os: string | null;
  kernel: string | null;
  targetUser: string;
  rootful: boolean;
  startedAt: string;
  /** Status by check id, for every check the report ran or skipped. */
  checks: Record<string, CheckStatus>;
  /** The codes of its failing findings, and its checks that could not run (check id + ".error"). */
  blocking: string[];
}

export interface FleetReport {
  schemaVersion: 1;
  kind: "fleet";
  tool: { name: "podlift"; version: string };
  generatedAt: string;
  summary: { hosts: number; ready: number; blocked: number; incomplete: number; rejected: number };
  hosts: FleetHost[];
  /** Every check any host ran, in first-seen order, with its status counts across hosts. */
  checks: { id: string; title: string; counts: Record<CheckStatus, number> }[];
  /** Failing finding codes by how many hosts they block, most first. */
  blocking: {
    code: string;
    check: string;
    hosts: number;
    hostNames: string[];
    message: string;
    remedy?: string;
  }[];
  /** Fixes by how many blocked hosts they would clear (every failing finding addressed), then help. */
  fixes: { id: string; clears: number; helps: number; hostNames: string[] }[];
  /** Files that were not read as doctor reports, and why; a newer report of the same host too. */
  rejected: { file: string; reason: string }[];
}

export interface Input {
  file: string;
  report: RunResult;
}

const STATUSES: CheckStatus[] = ["pass", "warn", "fail", "skip", "error"];

export function mergeReports(
  inputs: Input[],
  rejected: { file: string; reason: string }[],
  version: string,
  now = new Date(),
): FleetReport {
  // One report per host: the latest; an older one is listed as set aside, not merged twice.
  const latest = new Map<string, Input>();
  const out = [...rejected];
  for (const input of inputs) {
    const name = hostNameOf(input);
    const seen = latest.get(name);
    if (!seen) {
      latest.set(name, input);
      continue;
    }
    const [older, newer] = seen.report.startedAt <= input.report.startedAt ? [seen, input] : [input, seen];
    latest.set(name, newer);
    out.push({ file: older.file, reason: `an older report of host ${name} than ${newer.file}` });
  }
  const hosts: FleetHost[] = [];
  const checks = new Map<string, { id: string; title: string; counts: Record<CheckStatus, number> }>();
  const blocking = new Map<string, FleetReport["blocking"][number]>();
  const fixes = new Map<string, { clears: Set<string>; helps: Set<string> }>();
  for (const [name, { file, report }] of latest) {
    const statuses: Record<string, CheckStatus> = {};
    const codes: string[] = [];
    // Per host: the fixes each failing finding names; a fix clears the host when it is named by all.
    const fixSets: Set<string>[] = [];
    for (const c of report.checks) {
      statuses[c.id] = c.status;
      const entry = checks.get(c.id) ?? { id: c.id, title: c.title, counts: zero() };
      entry.counts[c.status]++;
      checks.set(c.id, entry);
      if (c.status === "error") {
        codes.push(`${c.id}.error`);
        fixSets.push(new Set());
      }
      for (const f of c.findings) {
        if (f.status !== "fail") continue;
        codes.push(f.code);
        fixSets.push(new Set(f.fixes ?? []));
        const b = blocking.get(f.code) ?? {
          code: f.code,
          check: c.id,
          hosts: 0,
          hostNames: [],
          message: f.message,
          ...(f.remedy ? { remedy: f.remedy } : {}),
        };
        if (b.hostNames.at(-1) !== name) {
          b.hosts++;
          b.hostNames.push(name);
        }
        blocking.set(f.code, b);
      }
    }
    for (const id of new Set(fixSets.flatMap((s) => [...s]))) {
      const entry = fixes.get(id) ?? { clears: new Set<string>(), helps: new Set<string>() };
      entry.helps.add(name);
      if (fixSets.every((s) => s.has(id))) entry.clears.add(name);
      fixes.set(id, entry);
    }
    const s = report.summary;
    hosts.push({
      name,
      file,
      state: s.fail > 0 ? "blocked" : s.error > 0 ? "incomplete" : "ready",
      exitCode: report.exitCode,
      os: report.host.os?.prettyName ?? null,
      kernel: report.host.kernel,
      targetUser: report.host.targetUser.name,
      rootful: report.host.rootful,
      startedAt: report.startedAt,
      checks: statuses,
      blocking: [...new Set(codes)],
    });
  }
  const order: Record<HostState, number> = { blocked: 0, incomplete: 1, ready: 2 };
  hosts.sort((a, b) => order[a.state] - order[b.state] || a.name.localeCompare(b.name));
  const count = (state: HostState) => hosts.filter((h) => h.state === state).length;
  return {
    schemaVersion: 1,
    kind: "fleet",
    tool: { name: "podlift", version },
    generatedAt: now.toISOString(),
    summary: {
      hosts: hosts.length,
      ready: count("ready"),
      blocked: count("blocked"),
      incomplete: count("incomplete"),
      rejected: out.length,
    },
    hosts,
    checks: [...checks.values()],
    blocking: [...blocking.values()].sort((a, b) => b.hosts - a.hosts || a.code.localeCompare(b.code)),
    fixes: [...fixes.entries()]
      .map(([id, e]) => ({ id, clears: e.clears.size, helps: e.helps.size, hostNames: [...e.helps].sort() }))
      .sort((a, b) => b.clears - a.clears || b.helps - a.helps || a.id.localeCompare(b.id)),
    rejected: out,
  };
}

function hostNameOf({ file, report }: Input): string {
  const name = report.host.name;
  if (name) return name;
  const base = file.split("/").pop() ?? file;
  return base.replace(/\.json$/i, "");
}

function zero(): Record<CheckStatus, number> {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<CheckStatus, number>;
}

const ICON: Record<CheckStatus | HostState, string> = {
  pass: "✔",
  warn: "⚠",
  fail: "✖",
  skip: "-",
  error: "!",
  ready: "✔",
  blocked: "✖",
  incomplete: "!",
};

/** The fleet for people at a terminal: hosts, then what blocks them most, then the fixes. */
export function fleetText(raw: FleetReport): string {
  // Host names and messages come from the hosts: no terminal escapes, no secrets.
  const r = safeDeep(redactDeep(raw));
  const s = r.summary;
  const lines = [
    `podlift fleet: ${s.hosts} host${s.hosts === 1 ? "" : "s"} — ${s.ready} ready, ${s.blocked} blocked, ${s.incomplete} incomplete` +
      (s.rejected ? ` (${s.rejected} file${s.rejected === 1 ? "" : "s"} set aside)` : ""),
    "",
    "Hosts",
  ];
  const width = Math.min(40, Math.max(4, ...r.hosts.map((h) => h.name.length)));
  for (const h of r.hosts) {
    const what =
      h.state === "ready"
        ? "ready"
        : `${h.state}: ${h.blocking.slice(0, 4).join(", ")}${h.blocking.length > 4 ? ` (+${h.blocking.length - 4})` : ""}`;
    lines.push(
      `  ${ICON[h.state]} ${h.name.padEnd(width)}  ${h.os ?? "unknown OS"}, ${h.rootful ? "rootful" : `rootless ${h.targetUser}`}  ${what}`,
    );
  }
  lines.push("", "Checks across hosts (pass/warn/fail/skip/error)");
  const idWidth = Math.max(...r.checks.map((c) => c.id.length), 5);
  for (const c of r.checks) {
    const n = c.counts;
    lines.push(`  ${c.id.padEnd(idWidth)}  ${n.pass}/${n.warn}/${n.fail}/${n.skip}/${n.error}`);
  }
  if (r.blocking.length > 0) {
    lines.push("", "Most common blocking findings");
    for (const b of r.blocking.slice(0, 15))
      lines.push(
        `  ${String(b.hosts).padStart(4)} host${b.hosts === 1 ? " " : "s"}  ${b.code} [${b.check}] ${b.message}`,
      );
  }
  if (r.fixes.length > 0) {
    lines.push("", "Fixes (podlift fix --only ID on each host)");
    for (const f of r.fixes) lines.push(`  ${f.id}: clears ${f.clears} host(s), helps ${f.helps}`);
  }
  if (r.rejected.length > 0) {
    lines.push("", "Set aside");
    for (const x of r.rejected) lines.push(`  ${x.file}: ${x.reason}`);
  }
  return `${lines.join("\n")}\n`;
}
