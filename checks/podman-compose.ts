// Compose projects need a compose provider: podman-compose, or docker-compose talking to the
// Podman socket (`podman compose` wraps whichever is installed).
// https://docs.podman.io/en/latest/markdown/podman-compose.1.html
import { installHint } from "../src/distro.js";
import type { Check, Finding } from "../src/engine/types.js";

export const check: Check = {
  id: "podman-compose",
  title: "Compose provider",
  docs: "docs/checks/podman-compose.md",
  applies: () => true,
  async run({ facts }) {
    const probes = await facts.probes.composeProviders();
    const found = probes.filter((p) => p.exitCode === 0);
    if (found.length > 0) {
      return found.map(
        (p): Finding => ({
          code: "compose.provider-ok",
          status: "pass",
          message: `${p.argv.slice(0, p.argv[0] === "docker" ? 2 : 1).join(" ")} is available: ${firstLine(p.stdout)}`,
          evidence: { command: p.argv.join(" "), version: firstLine(p.stdout) },
        }),
      );
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
    ];
  },
};

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.slice(0, 200) ?? "";
}
