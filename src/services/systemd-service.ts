// Where Quadlet is missing (Podman < 4.4, such as Debian 12's 4.3): services in the shape
// `podman generate systemd --new` writes (checked against 4.3.1's own output): the container is
// created at start from ExecStart and removed at stop, its id in %t/%n.ctr-id, sd-notify through
// conmon. Networks and volumes are created before it (`-` ignores "already exists").
// https://docs.podman.io/en/v4.3/markdown/podman-generate-systemd.1.html
import type { NetworkSpec, ServiceSpec, VolumeSpec } from "./model.js";
import { networkCreateArgs, podmanRunArgs, volumeCreateArgs } from "./podman-args.js";
import { installTarget, type UnitFile } from "./quadlet.js";
import { renderSection, unitRaw, unitWords } from "./unit-text.js";

export const PODMAN = "/usr/bin/podman";

export function serviceName(s: ServiceSpec): string {
  return `container-${s.name}.service`;
}

/** The ExecStart argv (before unit escaping): `podman run` with the --new flags, then the service's. */
export function execStartArgv(s: ServiceSpec): string[] {
  const run = podmanRunArgs({ ...s, restart: "no" });
  return [
    PODMAN,
    "run",
    "--cidfile=%t/%n.ctr-id",
    "--cgroups=no-conmon",
    "--rm",
    "--sdnotify=conmon",
    "-d",
    "--replace",
    ...run,
  ];
}

export function systemdService(
  s: ServiceSpec,
  o: { rootful: boolean; source: string; networks: NetworkSpec[]; volumes: VolumeSpec[] },
): UnitFile {
  const unit: [string, string][] = [
    ["Description", unitRaw(`Podman ${serviceName(s)} (migrated from Docker by podlift)`)],
    ["Documentation", "man:podman-generate-systemd(1)"],
    ["Wants", "network-online.target"],
    ["After", "network-online.target"],
    ["RequiresMountsFor", "%t/containers"],
  ];
  for (const d of s.dependsOn)
    unit.push(["Requires", `container-${d}.service`], ["After", `container-${d}.service`]);
  const service: [string, string][] = [["Environment", "PODMAN_SYSTEMD_UNIT=%n"]];
  if (s.restart !== "no") service.push(["Restart", s.restart === "on-failure" ? "on-failure" : "always"]);
  service.push(["TimeoutStopSec", "70"]);
  for (const n of o.networks.filter((x) => s.networks.includes(x.name)))
    service.push(["ExecStartPre", `-${unitWords([PODMAN, ...networkCreateArgs(n)], true)}`]);
  const used = new Set(s.mounts.filter((m) => m.kind === "volume").map((m) => m.source));
  for (const v of o.volumes.filter((x) => used.has(x.name)))
    service.push(["ExecStartPre", `-${unitWords([PODMAN, ...volumeCreateArgs(v)], true)}`]);
  service.push(["ExecStartPre", "/bin/rm -f %t/%n.ctr-id"]);
  // %t and %n in the --cidfile flag are specifiers meant for systemd: kept unescaped.
  const exec = execStartArgv(s)
    .map((w) => (w === "--cidfile=%t/%n.ctr-id" ? w : unitWords([w], true)))
    .join(" ");
  service.push(
    ["ExecStart", exec],
    ["ExecStop", `${PODMAN} stop --ignore -t 10 --cidfile=%t/%n.ctr-id`],
    ["ExecStopPost", `${PODMAN} rm -f --ignore -t 10 --cidfile=%t/%n.ctr-id`],
    ["Type", "notify"],
    ["NotifyAccess", "all"],
  );
  const install: [string, string][] = s.restart === "no" ? [] : [["WantedBy", installTarget(o.rootful)]];
  return {
    name: serviceName(s),
    content: renderSection(
      [`Written by podlift migrate services from ${o.source}: ${s.name}`, "podlift undo removes it."],
      [
        ["Unit", unit],
        ["Service", service],
        ["Install", install],
      ],
    ),
    mode: s.env.length > 0 ? 0o600 : 0o644,
  };
}
