// Every check, in the order reports list them. A test asserts this list and the folder agree.

import type { Check } from "../src/doctor/types.js";
import { check as apiSockets } from "./api-sockets.js";
import { check as apiVersion } from "./api-version.js";
import { check as canary } from "./canary.js";
import { check as cdiSpecs } from "./cdi-specs.js";
import { check as cgroups } from "./cgroups.js";
import { check as containerDns } from "./container-dns.js";
import { check as dockerStillInCharge } from "./docker-still-in-charge.js";
import { check as healthcheckTimers } from "./healthcheck-timers.js";
import { check as hostFiles } from "./host-files.js";
import { check as linger } from "./linger.js";
import { check as podmanCompose } from "./podman-compose.js";
import { check as podmanVersion } from "./podman-version.js";
import { check as rootlessNetwork } from "./rootless-network.js";
import { check as selinuxMode } from "./selinux-mode.js";
import { check as servicesRestart } from "./services-restart.js";
import { check as sharedMount } from "./shared-mount.js";
import { check as shortNames } from "./short-names.js";
import { check as socketAccess } from "./socket-access.js";
import { check as storage } from "./storage.js";
import { check as subuidRanges } from "./subuid-ranges.js";
import { check as systemd } from "./systemd.js";
import { check as unprivilegedPorts } from "./unprivileged-ports.js";
import { check as userNamespaces } from "./user-namespaces.js";
import { check as xdgRuntimeDir } from "./xdg-runtime-dir.js";

export const checks: readonly Check[] = [
  hostFiles,
  podmanVersion,
  subuidRanges,
  userNamespaces,
  apiSockets,
  apiVersion,
  socketAccess,
  dockerStillInCharge,
  cdiSpecs,
  unprivilegedPorts,
  selinuxMode,
  xdgRuntimeDir,
  linger,
  servicesRestart,
  systemd,
  healthcheckTimers,
  cgroups,
  storage,
  rootlessNetwork,
  containerDns,
  sharedMount,
  shortNames,
  podmanCompose,
  canary,
];
