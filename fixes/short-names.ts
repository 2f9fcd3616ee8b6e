// Lets Docker-style short image names (postgres) resolve through docker.io, as Docker does,
// with a drop-in of podlift's own rather than an edit of the distribution's registries.conf.
// https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md
import type { Fix } from "../src/fix/types.js";

export const DROP_IN = "/etc/containers/registries.conf.d/90-podlift-shortnames.conf";

export const fix: Fix = {
  id: "short-names",
  title: "Resolve short image names through docker.io",
  addresses: ["shortnames.none"],
  risk: "safe",
  async plan({ host, facts }) {
    const own = `${facts.targetUser.home}/.config/containers/registries.conf`;
    if (!facts.rootful && (await host.readFile(own)) !== null) {
      return `${own} replaces the system configuration for ${facts.targetUser.name}: add unqualified-search-registries = ["docker.io"] there yourself`;
    }
    return {
      summary: 'Short names such as "postgres" resolve to docker.io/library/postgres, as under Docker.',
      changes: [
        {
          kind: "write-file",
          path: DROP_IN,
          before: await host.readFile(DROP_IN),
          after:
            '# Written by podlift fix: resolve short names as Docker does.\nunqualified-search-registries = ["docker.io"]\n',
          mode: 0o644,
          why: "add a registries.conf drop-in",
        },
      ],
      notes: [
        "Fully qualified names (docker.io/library/postgres:16) remain the safest choice in compose files.",
      ],
    };
  },
};
