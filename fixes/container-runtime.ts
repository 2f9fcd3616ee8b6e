// When the canary fails in the OCI runtime (crun on a hybrid cgroup layout: "cgroups in hybrid
// mode not supported") and a start with `--runtime runc` worked in the same throwaway tree, a
// containers.conf drop-in makes runc the default. Offered only when the canary proved it, and
// then safe (applied by --yes): the default runtime starts no container at all here, runc does,
// and containers already created keep the runtime they were made with.
// https://github.com/containers/common/blob/main/docs/containers.conf.5.md ([engine] runtime)
import { canaryProof } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";

export const DROP_IN = "/etc/containers/containers.conf.d/90-podlift-runtime.conf";

export const fix: Fix = {
  id: "container-runtime",
  title: "runc as the default OCI runtime, where the canary proved it starts containers",
  addresses: ["canary.failed"],
  risk: "safe",
  concerns: (f) => f.evidence?.cause === "crun-hybrid" || f.evidence?.cause === "cgroup",
  async plan({ host }, findings) {
    const { proven, tries } = canaryProof(findings, fix.id);
    if (proven.length === 0)
      return "the canary did not show that runc starts a container where the default runtime fails";
    return {
      summary:
        "Containers run with runc instead of the default runtime: the canary failed with it and started with --runtime runc.",
      changes: [
        {
          kind: "write-file",
          path: DROP_IN,
          before: await host.readFile(DROP_IN),
          after:
            '# Written by podlift fix: the runtime the canary proved on this host.\n[engine]\nruntime = "runc"\n',
          mode: 0o644,
          why: "make runc the default OCI runtime in a containers.conf drop-in",
        },
      ],
      notes: [
        `The canary's tries: ${tries.join("; ")}`,
        "Existing containers keep the runtime they were created with; recreate them to switch.",
      ],
    };
  },
};
