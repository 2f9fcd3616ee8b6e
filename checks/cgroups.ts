// Resource limits (--memory, --cpus, --pids-limit) for rootless containers need cgroup v2 and
// controllers delegated by systemd to user@UID.service; cgroup v1 is deprecated in Podman 5.
// https://github.com/containers/podman/blob/main/troubleshooting.md (rootless cgroup limits)
// https://rootlesscontaine.rs/getting-started/common/cgroup2/
import type { Check, Finding } from "../src/doctor/types.js";
import { shellQuote } from "../src/text/safe-text.js";

const WANTED = ["cpu", "memory", "pids", "io"];
const DELEGATE =
  "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload";

export const check: Check = {
  id: "cgroups",
  title: "cgroup version and delegation",
  docs: "docs/checks/cgroups.md",
  applies: () => true,
  async run({ host, facts }) {
    const controllers = await host.readFile("/sys/fs/cgroup/cgroup.controllers");
    if (controllers === null) {
      const v1 =
        (await host.stat("/sys/fs/cgroup/memory")) !== null ||
        (await host.stat("/sys/fs/cgroup/cpu")) !== null;
      return [
        {
          code: v1 ? "cgroups.v1" : "cgroups.unknown",
          status: "warn",
          message: v1
            ? `This host uses cgroup v1: ${facts.rootful ? "deprecated since Podman 5" : "rootless containers cannot have resource limits"}.`
            : "No cgroup filesystem is visible at /sys/fs/cgroup.",
          evidence: { version: v1 ? 1 : null },
          remedy:
            "Boot with cgroup v2: add systemd.unified_cgroup_hierarchy=1 to the kernel command line (GRUB_CMDLINE_LINUX) and reboot.",
        },
      ];
    }
    const root = controllers.trim().split(/\s+/).filter(Boolean);
    const findings: Finding[] = [
      {
        code: "cgroups.v2",
        status: "pass",
        message: `cgroup v2 with controllers: ${root.join(" ")}.`,
        evidence: { version: 2, controllers: root },
      },
    ];
    if (!facts.rootful) {
      const uid = facts.targetUser.uid;
      const path = `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service/cgroup.controllers`;
      const delegated = await host.readFile(path);
      if (delegated === null) {
        findings.push({
          code: "cgroups.no-user-slice",
          status: "warn",
          message: `${facts.targetUser.name} has no systemd user slice: rootless resource limits are unavailable until the user logs in or lingers.`,
          evidence: { path },
          remedy: `sudo loginctl enable-linger ${shellQuote(facts.targetUser.name)}`,
        });
      } else {
        const have = delegated.trim().split(/\s+/).filter(Boolean);
        const missing = WANTED.filter((c) => !have.includes(c) && root.includes(c));
        findings.push(
          missing.length === 0
            ? {
                code: "cgroups.delegated",
                status: "pass",
                message: `Controllers delegated to ${facts.targetUser.name}: ${have.join(" ")}.`,
                evidence: { path, delegated: have },
              }
            : {
                code: "cgroups.not-delegated",
                status: "warn",
                message: `Controllers not delegated to ${facts.targetUser.name}: ${missing.join(" ")}; limits on them fail rootless.`,
                evidence: { path, delegated: have, missing },
                remedy: `${DELEGATE}, then log out and in.`,
              },
        );
      }
    }
    return findings;
  },
};
