// Every compose rule. The order is the order findings at one position are listed in. A test
// asserts this list and the folder agree.
import type { ComposeRule } from "../src/compose-check/types.js";
import { rule as bindUnreadable } from "./bind-unreadable.js";
import { rule as dependsOnConditions } from "./depends-on-conditions.js";
import { rule as deployIgnored } from "./deploy-ignored.js";
import { rule as dockerHost } from "./docker-host.js";
import { rule as engineSocket } from "./engine-socket.js";
import { rule as externalNetworks } from "./external-networks.js";
import { rule as fileProblems } from "./file-problems.js";
import { rule as gpuRequests } from "./gpu-requests.js";
import { rule as healthchecks } from "./healthchecks.js";
import { rule as hostNetwork } from "./host-network.js";
import { rule as imageNames } from "./image-names.js";
import { rule as imageUser } from "./image-user.js";
import { rule as lowPorts } from "./low-ports.js";
import { rule as networkNames } from "./network-names.js";
import { rule as portInUse } from "./port-in-use.js";
import { rule as privilegedRootless } from "./privileged-rootless.js";
import { rule as restartAfterBoot } from "./restart-after-boot.js";
import { rule as rootfulSocket } from "./rootful-socket.js";
import { rule as selinuxLabels } from "./selinux-labels.js";
import { rule as unknownKeys } from "./unknown-keys.js";
import { rule as userBindOwnership } from "./user-bind-ownership.js";
import { rule as usernsHost } from "./userns-host.js";
import { rule as volumesInDocker } from "./volumes-in-docker.js";

export type { ComposeRule };

export const composeRules: readonly ComposeRule[] = [
  fileProblems,
  unknownKeys,
  engineSocket,
  rootfulSocket,
  selinuxLabels,
  userBindOwnership,
  imageUser,
  networkNames,
  dockerHost,
  lowPorts,
  portInUse,
  hostNetwork,
  privilegedRootless,
  usernsHost,
  dependsOnConditions,
  healthchecks,
  deployIgnored,
  restartAfterBoot,
  imageNames,
  gpuRequests,
  externalNetworks,
  bindUnreadable,
  volumesInDocker,
];
