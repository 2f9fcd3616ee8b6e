// Compose projects need a compose provider: podman-compose, or docker-compose talking to the
// Podman socket (`podman compose` wraps whichever is installed).
// https://docs.podman.io/en/latest/markdown/podman-compose.1.html
// `pip install --user podman-compose` puts it in ~/.local/bin, on the user's PATH and not on
// root's (sudo's secure_path): the target user's own folders are looked at too.

import type { Check, CheckContext, Finding } from "../src/doctor/types.js";
import { userAssignments } from "../src/doctor/user-env.js";
import { installHint } from "../src/parse/distro.js";
import { safeLine } from "../src/text/safe-text.js";

export const check: Check = {
  id: "podman-compose",
  title: "Compose provider",
  docs: "docs/checks/podman-compose.md",
  applies: () => true,
  async run(ctx) {
    const { facts } = ctx;
    const probes = await facts.probes.composeProviders();
    const found = probes.filter((p) => p.exitCode === 0);
    const own = await userProviders(ctx);
    if (found.length > 0 || own.some((f) => f.code !== "compose.user-provider-broken")) {
      return [
        ...found.map(
          (p): Finding => ({
            code: "compose.provider-ok",
            status: "pass",
            message: `${p.argv.slice(0, p.argv[0] === "docker" ? 2 : 1).join(" ")} is available: ${firstLine(p.stdout)}`,
            evidence: { command: p.argv.join(" "), version: firstLine(p.stdout) },
          }),
        ),
        ...own,
      ];
    }
    return [
      {
        code: "compose.provider-missing",
        status: facts.compose ? "fail" : "warn",
        message: facts.compose
          ? `No compose provider is installed, so ${facts.compose.path} cannot be run.`
          : "No compose provider (podman-compose, docker-compose) is installed.",
        remedy: `Install one: ${installHint(facts, { debian: "podman-compose", fedora: "podman-compose" })}`,
      },
      ...own,
    ];
  },
};

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.slice(0, 200) ?? "";
}

/** podman-compose and docker-compose in the target user's own bin folders (the shared probe). */
async function userProviders(ctx: CheckContext): Promise<Finding[]> {
  const { facts } = ctx;
  const user = facts.targetUser;
  const out: Finding[] = [];
  for (const { dir, path, name, result: r } of await facts.probes.userComposeProviders(user)) {
    const version = versionLine(r.stdout);
    if (r.exitCode !== 0) {
      out.push({
        code: "compose.user-provider-broken",
        status: "warn",
        message: `${safeLine(path)} is installed for ${safeLine(user.name)} but \`--version\` ${r.timedOut ? "hangs" : `fails (exit ${r.exitCode})`}: ${safeLine(firstLine(r.stderr))}`,
        evidence: { path: safeLine(path), exitCode: r.exitCode, error: safeLine(firstLine(r.stderr)) },
        remedy: `Reinstall it as ${safeLine(user.name)}: pip install --user --force-reinstall ${name}`,
      });
      continue;
    }
    const onPath = await dirOnPath(ctx, dir);
    out.push(
      onPath
        ? {
            code: "compose.provider-ok",
            status: "pass",
            message: `${safeLine(path)} is available to ${safeLine(user.name)}: ${version}`,
            evidence: { command: `${safeLine(path)} --version`, version, user: safeLine(user.name) },
          }
        : {
            code: "compose.user-provider-off-path",
            status: "warn",
            message: `${safeLine(path)} works (${version}), but no PATH line in ${safeLine(user.name)}'s profile files adds ${safeLine(dir)}: \`${name}\` is "command not found" in their shells and scripts.`,
            evidence: { path: safeLine(path), version },
            remedy: `Add it in ~/.profile: export PATH="$HOME/${dir.slice(user.home.length + 1)}:$PATH"`,
          },
    );
  }
  return out;
}

/** Whether the user's PATH holds dir: podlift's own PATH when it runs as the user, else a PATH line in their files. */
async function dirOnPath({ host, facts }: CheckContext, dir: string): Promise<boolean> {
  const user = facts.targetUser;
  if (user.name === host.currentUser().name && (host.env("PATH") ?? "").split(":").includes(dir)) return true;
  const rel = dir.slice(user.home.length + 1);
  const forms = [dir, `$HOME/${rel}`, `\${HOME}/${rel}`, `~/${rel}`];
  const lines = await userAssignments(host, user, ["PATH"]);
  return lines.some((a) => a.value.split(":").some((part) => forms.includes(part.replace(/\/+$/, ""))));
}

/** The line of a --version output that names the version (podman-compose 1.0 prints others first). */
function versionLine(text: string): string {
  const line = text.split("\n").find((l) => /compose(r)?\s+version/i.test(l));
  return safeLine((line ?? firstLine(text)).trim().replace(/\s+/g, " ").slice(0, 200));
}
