// Rootless network helpers (slirp4netns, pasta) open /dev/net/tun as the user: a device of mode
// 0600 (or none at all) leaves rootless containers without a network. The canary proves it first:
// the same helper, device and tree started by root, who may open the device. The fix makes the
// device 0666 now (undo: the old mode) and, where udev runs, a rule keeps it so at every boot.
// https://www.kernel.org/doc/html/latest/networking/tuntap.html
import { canaryProof } from "../src/fix/helpers.js";
import type { Change, Fix } from "../src/fix/types.js";
import { findBinary } from "../src/parse/distro.js";

export const TUN = "/dev/net/tun";
export const RULE = "/etc/udev/rules.d/90-podlift-tun.rules";
/** The tun device's numbers (Documentation/admin-guide/devices.txt: misc 200). */
const MISC_TUN = "10:200";

export const fix: Fix = {
  id: "tun-device-mode",
  title: "Let rootless network helpers open /dev/net/tun",
  addresses: ["canary.network-failed", "network.tun-unusable"],
  risk: "safe",
  verifiedBy: ["canary", "rootless-network"],
  concerns: (f) => f.code === "network.tun-unusable" || f.evidence?.cause === "tun-device",
  async plan({ host }, findings) {
    const tunCause = findings.filter((f) => f.evidence?.cause === "tun-device");
    if (tunCause.length === 0)
      return "the canary did not fail on /dev/net/tun (run the canary: podlift doctor --only canary)";
    const tun = await host.stat(TUN);
    if (tun === null) {
      // Nothing can start through a device that does not exist, so nothing proves a new node
      // would do: podlift offers only what made the container start, and says what to run.
      const dev = (await host.readFile("/sys/class/misc/tun/dev"))?.trim();
      if (dev !== MISC_TUN)
        return `${TUN} is missing and the kernel lists no tun device (/sys/class/misc/tun): load it (modprobe tun), or pass --device ${TUN} to the container podlift runs in`;
      return `${TUN} is missing although the kernel has the device (${MISC_TUN}): podlift cannot try a container through it beforehand, so it offers no fix; create it by hand (mkdir -p /dev/net && mknod -m 0666 ${TUN} c 10 200) and run podlift doctor --only canary again`;
    }
    if (tun.type !== "char") return `${TUN} is a ${tun.type}, not the tun device: podlift leaves it alone`;
    const { proven, tries } = canaryProof(tunCause, fix.id);
    if (proven.length === 0)
      return `the canary did not show that a container starts with ${TUN} usable (its tries: ${tries.join("; ") || "none: run podlift as root"})`;
    const mode = tun.mode & 0o7777;
    if ((mode & 0o666) === 0o666) return `${TUN} is already mode ${octal(mode)}: the cause is elsewhere`;
    const changes: Change[] = [];
    changes.push({
      kind: "command",
      argv: ["chmod", "0666", TUN],
      why: `make ${TUN} readable and writable by every user (now mode ${octal(mode)})`,
      needsRoot: true,
      undo: ["chmod", octal(mode), TUN],
    });
    const summary = `${TUN} becomes mode 0666 (was ${octal(mode)}): the canary started the same container through it as root.`;
    const notes = [`The canary's tries: ${tries.join("; ")}`];

    // devtmpfs makes the node afresh at every boot: udev's rule keeps the mode.
    if ((await host.stat("/etc/udev")) !== null || (await findBinary(host, "udevadm")) !== null) {
      changes.push({
        kind: "write-file",
        path: RULE,
        before: await host.readFile(RULE),
        after: `# Written by podlift fix: rootless network helpers open ${TUN} as their user.\nKERNEL=="tun", MODE="0666"\n`,
        mode: 0o644,
        owner: { uid: 0, gid: 0 },
        why: `keep ${TUN} at mode 0666 at every boot (udev rule)`,
      });
    } else {
      notes.push(
        `No udev here (no /etc/udev, no udevadm): the mode holds until ${TUN} is made again (a reboot, a new container); make it part of how this machine or container starts (chmod 0666 ${TUN}).`,
      );
    }
    return { summary, changes, notes };
  },
};

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}
