// $XDG_RUNTIME_DIR must be private to its user (0700): pam_systemd creates it so, and other
// tools refuse a runtime dir others can enter.
// https://specifications.freedesktop.org/basedir-spec/latest/
import type { Fix } from "../src/fix/types.js";

export const fix: Fix = {
  id: "runtime-dir-mode",
  title: "Make the runtime dir private",
  addresses: ["xdg.bad-mode"],
  risk: "safe",
  async plan(_ctx, findings) {
    const f = findings[0];
    const path = String(f?.evidence?.path ?? "");
    const mode = String(f?.evidence?.mode ?? "");
    if (!path.startsWith("/run/user/") || !/^[0-7]+$/.test(mode)) return "the finding names no runtime dir";
    return {
      summary: `${path} is private to its user again (mode 0700).`,
      changes: [
        {
          kind: "command",
          argv: ["chmod", "0700", path],
          why: `chmod ${path} 0700`,
          needsRoot: false,
          undo: ["chmod", mode.padStart(4, "0"), path],
        },
      ],
      notes: [],
    };
  },
};
