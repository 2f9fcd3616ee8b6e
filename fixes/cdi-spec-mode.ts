// Rootless Podman reads CDI specs as the user: a spec must be world-readable (0644).
// https://github.com/cncf-tags/container-device-interface/blob/main/SPEC.md
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "cdi-spec-mode",
  title: "Make CDI specs readable for rootless Podman",
  addresses: ["cdi.unreadable"],
  risk: "safe",
  async plan(_ctx, findings) {
    const paths = findings.map((f) => String(f.evidence?.path ?? "")).filter((p) => p.startsWith("/"));
    if (paths.length === 0) return "the findings name no spec file";
    return {
      summary: `Rootless users can read ${paths.join(", ")} (mode 0644; specs hold no secrets).`,
      changes: paths.map((path) => ({
        kind: "command" as const,
        argv: ["chmod", "0644", path],
        why: `make ${path} readable`,
        needsRoot: true,
        touches: [path],
      })),
      notes: [],
    };
  },
};
