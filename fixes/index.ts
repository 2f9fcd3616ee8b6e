// Every fix, in the order plans are offered. A test asserts this list and the folder agree.
import type { Fix } from "../src/fix/types.js";
import { fix as apparmorPodmanProfile } from "./apparmor-podman-profile.js";
import { fix as apparmorUsernsOff } from "./apparmor-userns-off.js";
import { fix as cdiRegenerate } from "./cdi-regenerate.js";
import { fix as cdiSpecMode } from "./cdi-spec-mode.js";
import { fix as containerDnsServers } from "./container-dns-servers.js";
import { fix as containerRuntime } from "./container-runtime.js";
import { fix as containerUlimits } from "./container-ulimits.js";
import { fix as dockerDisable } from "./docker-disable.js";
import { fix as dockerHostProfile } from "./docker-host-profile.js";
import { fix as linger } from "./linger.js";
import { fix as podmanSocket } from "./podman-socket.js";
import { fix as podmanSystemMigrate } from "./podman-system-migrate.js";
import { fix as podmanSystemReset } from "./podman-system-reset.js";
import { fix as rootlessNetworkCmd } from "./rootless-network-cmd.js";
import { fix as runtimeDirMode } from "./runtime-dir-mode.js";
import { fix as selinuxComposeLabels } from "./selinux-compose-labels.js";
import { fix as shortNames } from "./short-names.js";
import { fix as socketGroup } from "./socket-group.js";
import { fix as storageOverlay } from "./storage-overlay.js";
import { fix as subidRanges } from "./subid-ranges.js";
import { fix as tunDeviceMode } from "./tun-device-mode.js";
import { fix as unprivilegedPorts } from "./unprivileged-ports.js";
import { fix as usernsSysctls } from "./userns-sysctls.js";

export type { Fix };

export const fixes: readonly Fix[] = [
  subidRanges,
  usernsSysctls,
  apparmorPodmanProfile,
  apparmorUsernsOff,
  linger,
  runtimeDirMode,
  podmanSocket,
  dockerHostProfile,
  unprivilegedPorts,
  cdiSpecMode,
  cdiRegenerate,
  selinuxComposeLabels,
  shortNames,
  containerUlimits,
  containerRuntime,
  tunDeviceMode,
  rootlessNetworkCmd,
  podmanSystemMigrate,
  storageOverlay,
  podmanSystemReset,
  dockerDisable,
  containerDnsServers,
  socketGroup,
];
