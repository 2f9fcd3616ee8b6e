// Podman wants "/" to be a shared mount so mount propagation (rshared volumes, nested mounts)
// works; rootless Podman prints `"/" is not a shared mount` when it is private, common in
// containers and some minimal VMs.
// https://github.com/containers/podman/blob/main/troubleshooting.md ("/" is not a shared mount)
import type { Check } from "../src/doctor/types.js";
import { parseMountinfo } from "../src/parse/mounts.js";

export const check: Check = {
  id: "shared-mount",
  title: "Root mount propagation",
  docs: "docs/checks/shared-mount.md",
  applies: () => true,
  async run({ host }) {
    const text = await host.readFile("/proc/self/mountinfo");
    const root =
      text === null
        ? undefined
        : parseMountinfo(text)
            .filter((m) => m.mountPoint === "/")
            .at(-1);
    if (root === undefined) {
      return [
        {
          code: "mount.unknown",
          status: "warn",
          message: "Cannot read the mount table (/proc/self/mountinfo).",
          evidence: { mountinfo: text !== null },
        },
      ];
    }
    const shared = root.optional.some((o) => o.startsWith("shared:"));
    return [
      shared
        ? {
            code: "mount.shared",
            status: "pass",
            message: '"/" is a shared mount.',
            evidence: { propagation: root.optional },
          }
        : {
            code: "mount.not-shared",
            status: "warn",
            message:
              '"/" is not a shared mount: Podman warns on every run, and rshared/rslave volumes do not propagate.',
            evidence: { propagation: root.optional.length > 0 ? root.optional : ["private"] },
            remedy:
              "sudo mount --make-rshared / (add it to the boot sequence; systemd hosts do this by default).",
          },
    ];
  },
};
