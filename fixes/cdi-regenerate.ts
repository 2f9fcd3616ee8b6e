// Regenerates the NVIDIA CDI spec for the loaded driver, with the toolkit's own generator.
// https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html

import type { Fix } from "../src/fix/types.js";
import { findBinary } from "../src/parse/distro.js";

export const SPEC = "/etc/cdi/nvidia.yaml";

export const fix: Fix = {
  id: "cdi-regenerate",
  title: "Regenerate the NVIDIA CDI spec",
  addresses: ["cdi.nvidia-no-spec", "cdi.nvidia-stale"],
  risk: "safe",
  async plan({ host }, findings) {
    const ctk = await findBinary(host, "nvidia-ctk");
    if (ctk === null) return "nvidia-ctk is not installed: install nvidia-container-toolkit first";
    const stale = findings
      .map((f) => f.evidence?.spec)
      .filter((s): s is string => typeof s === "string" && s !== SPEC);
    return {
      summary: `${SPEC} describes the GPUs and libraries of the driver loaded now.`,
      changes: [
        {
          kind: "command",
          argv: [ctk, "cdi", "generate", `--output=${SPEC}`],
          why: `write ${SPEC} for the loaded driver`,
          needsRoot: true,
          touches: [SPEC],
        },
        {
          kind: "command",
          argv: ["chmod", "0644", SPEC],
          why: "keep it readable for rootless Podman",
          needsRoot: true,
        },
      ],
      notes: stale.map(
        (s) => `${s} is stale too; podlift leaves other specs alone: remove it if ${SPEC} replaces it.`,
      ),
    };
  },
};
