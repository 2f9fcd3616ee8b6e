// On an enforcing SELinux host, a bind mount without :z or :Z keeps its host label and the
// container is denied access: the most common "permission denied" after a move from Docker.
// https://docs.podman.io/en/latest/markdown/podman-run.1.html (--volume, "Labeling Volume Mounts")
import type { Check, Finding } from "../src/doctor/types.js";

export const check: Check = {
  id: "selinux-mode",
  title: "SELinux mode",
  docs: "docs/checks/selinux-mode.md",
  applies: () => true,
  async run({ host, facts }) {
    const [enforce, config] = await Promise.all([
      facts.probes.selinuxEnforce(),
      host.readFile("/etc/selinux/config"),
    ]);
    const kernelMode = enforce === null ? "disabled" : enforce.trim() === "1" ? "enforcing" : "permissive";
    const configured =
      config === null ? null : (/^\s*SELINUX\s*=\s*(\w+)/m.exec(config)?.[1]?.toLowerCase() ?? null);
    const evidence = {
      kernel: kernelMode,
      configured,
      config: config === null ? null : "/etc/selinux/config",
    };
    const findings: Finding[] = [];
    if (configured !== null && !["enforcing", "permissive", "disabled"].includes(configured)) {
      findings.push({
        code: "selinux.config-invalid",
        status: "warn",
        message: `/etc/selinux/config sets SELINUX=${configured}, which is not enforcing, permissive or disabled.`,
        evidence,
        remedy: "Set SELINUX=enforcing (or permissive) in /etc/selinux/config.",
      });
    } else if (configured !== null && configured !== kernelMode) {
      findings.push({
        code: "selinux.mode-mismatch",
        status: "warn",
        message: `SELinux is ${kernelMode} now but configured as ${configured}: the next boot changes how containers behave.`,
        evidence,
        remedy:
          kernelMode === "disabled"
            ? "Enabling SELinux needs a relabel (sudo touch /.autorelabel; reboot); add :z/:Z to bind mounts first."
            : `Make the two agree: sudo setenforce ${configured === "enforcing" ? 1 : 0}, or edit /etc/selinux/config.`,
      });
    }
    const unlabeled = (facts.compose?.binds ?? []).filter(
      (b) => !b.options.some((o) => o === "z" || o === "Z" || o === "shared" || o === "private"),
    );
    if (kernelMode === "enforcing" && unlabeled.length > 0) {
      findings.push({
        code: "selinux.bind-unlabeled",
        status: "fail",
        message: `${unlabeled.length} bind mount(s) in ${facts.compose?.path} have no :z/:Z label on an enforcing host: containers will get "permission denied".`,
        evidence: { mounts: unlabeled.map((b) => `line ${b.line}: ${b.service}: ${b.source}:${b.target}`) },
        remedy:
          "Add :z (shared between containers) or :Z (private to one container) to each bind mount. :Z relabels the host folder: never use it on /home, /usr or other system folders.",
      });
    }
    if (findings.length === 0) {
      findings.push({
        code: "selinux.ok",
        status: "pass",
        message:
          kernelMode === "disabled"
            ? "SELinux is not active on this host: no volume labels needed."
            : `SELinux is ${kernelMode}${configured ? ` and configured ${configured}` : ""}.`,
        evidence,
      });
    }
    return findings;
  },
};
