// When the canary fails with "error setting rlimit", Podman's default ulimits (nofile 1048576)
// are above what the runtime may set on this host. A containers.conf drop-in sets defaults the
// host allows. Seen on this project's CI machine, where root lacks CAP_SYS_RESOURCE and conmon
// runs with at most 32768 processes. The canary proves the limits first (a container started with
// them as --ulimit flags): the fix is offered only when that worked.
// https://github.com/containers/common/blob/main/docs/containers.conf.5.md (default_ulimits)
import { canaryProof } from "../src/fix/helpers.js";
import type { Fix } from "../src/fix/types.js";
import { allowedUlimits } from "../src/host/limits.js";

export const DROP_IN = "/etc/containers/containers.conf.d/90-podlift-ulimits.conf";

export const fix: Fix = {
  id: "container-ulimits",
  title: "Default container ulimits the host allows",
  addresses: ["canary.failed"],
  risk: "safe",
  concerns: (f) => f.evidence?.cause === "rlimit",
  async plan({ host }, findings) {
    const rlimit = findings.filter((f) => f.evidence?.cause === "rlimit");
    if (rlimit.length === 0) return "the canary failed for another cause than ulimits";
    // The canary tried these limits in a throwaway container: offered only when that started.
    const proof = canaryProof(rlimit, fix.id);
    if (proof.triedAny && proof.proven.length === 0)
      return "the canary tried the host's limits and the container still did not start; see its evidence";
    const { nofile, nproc } = await allowedUlimits(host);
    return {
      summary: `Containers start with nofile=${nofile} and nproc=${nproc} (this host's hard limits) instead of Podman's 1048576.`,
      changes: [
        {
          kind: "write-file",
          path: DROP_IN,
          before: await host.readFile(DROP_IN),
          after: `# Written by podlift fix: ulimits this host allows.\n[containers]\ndefault_ulimits = [\n  "nofile=${nofile}:${nofile}",\n  "nproc=${nproc}:${nproc}",\n]\n`,
          mode: 0o644,
          why: "set default ulimits in a containers.conf drop-in",
        },
      ],
      notes: ["A container can still ask for more with --ulimit; it then fails the same way."],
    };
  },
};
