// Ubuntu 23.10+ restricts unprivileged user namespaces to programs whose AppArmor profile grants
// `userns`. Granting it to Podman alone keeps the protection for everything else.
// https://ubuntu.com/blog/ubuntu-23-10-restricted-unprivileged-user-namespaces

import type { Fix } from "../src/fix/types.js";
import { findBinary } from "../src/parse/distro.js";

export const PROFILE_PATH = "/etc/apparmor.d/podlift-podman";

export const fix: Fix = {
  id: "apparmor-podman-profile",
  title: "AppArmor profile allowing user namespaces for Podman",
  addresses: ["userns.apparmor-restricted"],
  risk: "safe",
  async plan({ host }) {
    const podman = (await findBinary(host, "podman")) ?? "/usr/bin/podman";
    const parser = await findBinary(host, "apparmor_parser");
    if (parser === null)
      return "apparmor_parser is not installed (package apparmor), so no profile can be loaded";
    const after = [
      "# Written by podlift fix: lets Podman create user namespaces under Ubuntu's restriction.",
      "abi <abi/4.0>,",
      "include <tunables/global>",
      "",
      `profile podlift-podman ${podman} flags=(unconfined) {`,
      "  userns,",
      "",
      "  include if exists <local/podlift-podman>",
      "}",
      "",
    ].join("\n");
    return {
      summary: `Podman (${podman}) may create user namespaces; every other program stays restricted.`,
      changes: [
        {
          kind: "write-file",
          path: PROFILE_PATH,
          before: await host.readFile(PROFILE_PATH),
          after,
          mode: 0o644,
          why: "add the profile",
        },
        {
          kind: "command",
          argv: [parser, "-r", PROFILE_PATH],
          why: "load it into the kernel",
          needsRoot: true,
          undo: [parser, "-R", PROFILE_PATH],
        },
      ],
      notes: [
        "Switching the restriction off host-wide (fix apparmor-userns-off) also works, but for every program.",
      ],
    };
  },
};
