// podlift compose check: what in a compose project breaks or behaves differently under Podman.
import { parseSpec } from "../../checks/cdi-specs.js";
import { EXIT } from "../engine/exit-code.js";
import { io, prepare, Usage, useColor } from "./common.js";

export interface ComposeFlags {
  root: string;
  user?: string;
  format: "text" | "json";
  failOn?: "warn" | "fail";
  color: boolean;
}

export async function runComposeCheck(given: string | undefined, flags: ComposeFlags): Promise<number> {
  const [{ discover, loadProject, CANDIDATES }, { checkProject }] = await Promise.all([
    import("../compose-check/load.js"),
    import("../compose-check/rules.js"),
  ]);
  const file = await discover(process.cwd(), given);
  if (!file) throw new Usage(`no compose file here (looked for ${CANDIDATES.join(", ")}); name one`);
  const project = await loadProject(file, process.env).catch((error: Error) => {
    throw new Usage(`cannot read ${file}: ${error.message}`);
  });
  const { host, facts } = await prepare(
    { only: [], skip: [], root: flags.root, user: flags.user, color: flags.color },
    [],
  );
  const start = Number((await host.readSysctl("net.ipv4.ip_unprivileged_port_start")) ?? 1024);
  const cdiDevices: string[] = [];
  for (const dir of ["/etc/cdi", "/var/run/cdi"]) {
    for (const name of (await host.listDir(dir)) ?? []) {
      const spec = parseSpec(`${dir}/${name}`, (await host.readFile(`${dir}/${name}`)) ?? "");
      if ("devices" in spec) cdiDevices.push(...spec.devices.map((d) => `${spec.kind}=${d}`));
    }
  }
  const findings = checkProject(project, {
    rootless: !facts.rootful,
    userName: facts.targetUser.name,
    uid: facts.targetUser.uid,
    portStart: Number.isNaN(start) ? 1024 : start,
    selinuxEnforcing: (await host.readFile("/sys/fs/selinux/enforce"))?.trim() === "1",
    cdiDevices,
  });
  const failing = findings.filter(
    (f) => f.status === "fail" || (flags.failOn === "warn" && f.status === "warn"),
  );
  if (flags.format === "json") {
    io.out(
      `${JSON.stringify({ file, project: project.project, rootless: !facts.rootful, findings }, null, 2)}\n`,
    );
  } else {
    const color = useColor(flags);
    const paint = (c: number, t: string) => (color ? `\u001b[${c}m${t}\u001b[0m` : t);
    io.out(`${file} (${facts.rootful ? "rootful" : `rootless, ${facts.targetUser.name}`})\n`);
    for (const f of findings) {
      io.out(
        `${paint(f.status === "fail" ? 31 : 33, f.status === "fail" ? "✖" : "⚠")} ${file}:${f.at.line}:${f.at.col} ${f.service ? `[${f.service}] ` : ""}${f.message} ${paint(90, `(${f.code})`)}\n`,
      );
      io.out(`    ${paint(36, "fix:")} ${f.remedy}\n`);
    }
    io.out(
      findings.length === 0
        ? "Nothing in this project needs changing for Podman.\n"
        : `\n${findings.length} finding(s), ${findings.filter((f) => f.status === "fail").length} failing.\n`,
    );
  }
  return failing.length > 0 ? EXIT.failed : EXIT.ok;
}
