// Where and how Podman stores images: overlay on a local filesystem is the fast, supported
// setup. vfs copies every layer; rootless storage on NFS/CIFS homes does not work (no xattrs,
// no id mapping); overlay needs d_type.
// https://github.com/containers/storage/blob/main/docs/containers-storage.conf.5.md
// https://github.com/containers/podman/blob/main/troubleshooting.md (NFS home, d_type)
import type { Check, Finding } from "../src/doctor/types.js";
import { mountFor, parseMountinfo } from "../src/parse/mounts.js";

const NETWORK_FS = new Set(["nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "ceph", "glusterfs"]);

export const check: Check = {
  id: "storage",
  title: "Storage driver and graph root",
  docs: "docs/checks/storage.md",
  applies: () => true,
  async run({ host, facts }) {
    const user = facts.targetUser;
    const info = await facts.podman.info(user);
    const store = info.ok ? info.info.store : undefined;
    const graphRoot =
      store?.graphRoot ??
      (facts.rootful ? "/var/lib/containers/storage" : `${user.home}/.local/share/containers/storage`);
    const driver = store?.graphDriverName ?? null;
    const mounts = parseMountinfo((await host.readFile("/proc/self/mountinfo")) ?? "");
    const mount = mountFor(mounts, graphRoot);
    const evidence = {
      graphRoot,
      driver,
      filesystem: mount?.fsType ?? null,
      mountPoint: mount?.mountPoint ?? null,
    };
    const findings: Finding[] = [];
    if (mount && NETWORK_FS.has(mount.fsType) && !facts.rootful) {
      findings.push({
        code: "storage.network-fs",
        status: "fail",
        message: `${user.name}'s container storage ${graphRoot} is on ${mount.fsType}: rootless storage on network filesystems fails (no xattrs, no id mapping).`,
        evidence,
        remedy: `Point graphroot at a local disk in ~${user.name}/.config/containers/storage.conf, e.g. graphroot = "/var/tmp/${user.name}/containers/storage".`,
      });
    }
    if (driver === "vfs") {
      findings.push({
        code: "storage.vfs",
        status: "warn",
        message: "Podman uses the vfs driver: every layer is a full copy, slow and disk-hungry.",
        evidence,
        remedy:
          'Set driver = "overlay" in storage.conf (kernel 5.13+ for rootless, or install fuse-overlayfs), then `podman system reset`.',
      });
    }
    if (store?.graphStatus?.["Supports d_type"] === "false") {
      findings.push({
        code: "storage.no-dtype",
        status: "fail",
        message: `The filesystem under ${graphRoot} lacks d_type: overlay cannot work on it.`,
        evidence,
        remedy: "Move graphroot to a filesystem with d_type (xfs formatted with ftype=1, ext4).",
      });
    }
    if (driver === "overlay" && mount?.fsType === "overlay" && !facts.rootful) {
      findings.push({
        code: "storage.overlay-on-overlay",
        status: "warn",
        message: `${graphRoot} is itself on overlayfs (podlift runs inside a container?): nested overlay may fail.`,
        evidence,
        remedy: "Mount a volume at the graph root, or use fuse-overlayfs.",
      });
    }
    if (findings.length === 0) {
      findings.push({
        code: "storage.ok",
        status: "pass",
        message: `Storage: ${driver ?? "driver unknown (podman info unavailable)"} at ${graphRoot} on ${mount?.fsType ?? "unknown filesystem"}.`,
        evidence,
      });
    }
    return findings;
  },
};
