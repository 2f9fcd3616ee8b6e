// Switches Ubuntu's restriction on unprivileged user namespaces off for the whole host. Risky:
// every program regains what the restriction took away; the Podman profile fix is preferred.
// https://ubuntu.com/blog/ubuntu-23-10-restricted-unprivileged-user-namespaces
import { sysctlChanges } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "apparmor-userns-off",
  title: "Switch the AppArmor user-namespace restriction off host-wide",
  addresses: ["userns.apparmor-restricted"],
  risk: "confirm",
  async plan({ host }) {
    return {
      summary:
        "Every program may create user namespaces again, as before Ubuntu 23.10. Prefer apparmor-podman-profile, which allows Podman alone.",
      changes: await sysctlChanges(
        host,
        [["kernel.apparmor_restrict_unprivileged_userns", "0"]],
        "90-podlift-apparmor-userns.conf",
        "lift the restriction",
      ),
      notes: ["This weakens a protection against kernel exploits for the whole host."],
    };
  },
};
