// Docker resolves `postgres` to docker.io/library/postgres; Podman resolves short names only
// through unqualified-search-registries in registries.conf (a user's own
// ~/.config/containers/registries.conf replaces the system file), and fails without a terminal
// when short-name-mode is enforcing and several registries match.
// https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md
import type { Check, Finding } from "../src/doctor/types.js";
import { UnreadableFileError } from "../src/host/safe-read.js";
import { safeLine } from "../src/text/safe-text.js";

export const check: Check = {
  id: "short-names",
  title: "Short image names",
  docs: "docs/checks/short-names.md",
  applies: () => true,
  async run({ host, facts }) {
    const userFile = `${facts.targetUser.home}/.config/containers/registries.conf`;
    const mainFile =
      !facts.rootful && (await host.stat(userFile)) !== null ? userFile : "/etc/containers/registries.conf";
    const dropDir = "/etc/containers/registries.conf.d";
    const files = [
      mainFile,
      ...((await host.listDir(dropDir)) ?? [])
        .filter((n) => n.endsWith(".conf"))
        .map((n) => `${dropDir}/${n}`),
    ];
    let registries: string[] | null = null;
    let mode: string | null = null;
    const read: string[] = [];
    const findings: Finding[] = [];
    for (const file of files) {
      let text: string | null;
      try {
        text = await host.readFile(file);
      } catch (error) {
        if (!(error instanceof UnreadableFileError)) throw error;
        findings.push({
          code: "shortnames.unreadable",
          status: "warn",
          message: `${safeLine(error.message)}: podlift skipped it, and Podman may refuse to read its configuration.`,
          evidence: { path: file, kind: error.kind },
          remedy:
            error.kind === "permission"
              ? "Run podlift as root."
              : `Remove it, or replace it with a regular registries.conf file.`,
        });
        continue;
      }
      if (text === null) continue;
      read.push(file);
      const conf = readConf(text);
      if (conf.registries !== null) registries = conf.registries; // later files override earlier ones
      if (conf.mode !== null) mode = conf.mode;
    }
    const evidence = { files: read, unqualifiedSearchRegistries: registries ?? [], shortNameMode: mode };
    if (registries === null || registries.length === 0) {
      findings.push({
        code: "shortnames.none",
        status: "warn",
        message:
          'No unqualified-search-registries: short names from Docker habits (image: postgres) fail with "short-name did not resolve".',
        evidence,
        remedy: `Use fully qualified names (docker.io/library/postgres:16), or add unqualified-search-registries = ["docker.io"] to ${mainFile}.`,
      });
    } else if (mode === "enforcing" && registries.length > 1) {
      findings.push({
        code: "shortnames.ambiguous-enforcing",
        status: "warn",
        message: `short-name-mode is enforcing with ${registries.length} search registries: without a terminal (CI, systemd), short names fail as ambiguous.`,
        evidence,
        remedy: "Use fully qualified image names in compose files and units, or add short-name aliases.",
      });
    } else {
      findings.push({
        code: "shortnames.ok",
        status: "pass",
        message: `Short names resolve through ${registries.join(", ")}.`,
        evidence,
      });
    }
    return findings;
  },
};

/** Reads the two top-level keys podlift needs from a registries.conf (TOML v2 format). */
export function readConf(text: string): { registries: string[] | null; mode: string | null } {
  const clean = text
    .split("\n")
    .map((l) => l.replace(/#.*$/, ""))
    .join("\n");
  const top = clean.split(/^\s*\[/m)[0] ?? "";
  const list = /^\s*unqualified-search-registries\s*=\s*\[([^\]]*)\]/m.exec(top);
  const mode = /^\s*short-name-mode\s*=\s*"([^"]*)"/m.exec(top);
  return {
    registries: list
      ? [...(list[1] as string).matchAll(/["']([^"']+)["']/g)].map((m) => m[1] as string)
      : null,
    mode: mode ? (mode[1] as string) : null,
  };
}
