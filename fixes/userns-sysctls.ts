// Lets unprivileged users create user namespaces again: user.max_user_namespaces above 0 and,
// on Debian/Ubuntu kernels, kernel.unprivileged_userns_clone=1; now and at every boot.
// https://github.com/containers/podman/blob/main/troubleshooting.md
import { sysctlChanges } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "userns-sysctls",
  title: "Allow unprivileged user namespaces",
  addresses: ["userns.max-zero", "userns.clone-disabled"],
  risk: "safe",
  async plan({ host }, findings) {
    const settings: [string, string][] = [];
    if (findings.some((f) => f.code === "userns.max-zero"))
      settings.push(["user.max_user_namespaces", "28633"]);
    if (findings.some((f) => f.code === "userns.clone-disabled"))
      settings.push(["kernel.unprivileged_userns_clone", "1"]);
    const changes = await sysctlChanges(
      host,
      settings,
      "90-podlift-userns.conf",
      "allow unprivileged user namespaces",
    );
    return {
      summary:
        "Unprivileged users may create user namespaces, which rootless Podman needs. This widens the kernel surface every local user can reach, as on most distributions' defaults.",
      changes,
      notes: [],
    };
  },
};
