// What a compose rule is: like a check (checks/<id>.ts) it declares its codes and the facts it
// reads, and its run is pure: the loaded project and the host facts in, findings out. Its edits
// are line edits that `podlift compose fix` hands to the fix engine as one write-file change.

import type { Loaded } from "../compose/project.js";
import type { Finding, Position } from "../doctor/types.js";
import type { UserInfo } from "../host/types.js";

export type ComposeStatus = "warn" | "fail";

/** A finding as every check has one (src/doctor/types.ts), with its place in the file. */
export interface ComposeFinding extends Finding {
  status: ComposeStatus;
  service: string | null;
  remedy: string;
  at: Position;
  /**
   * What the finding's edit writes or where it goes (ESLint's report data): the network name to
   * pin and the line of the network's key, the uid and gid to keep. Only rules with edits set it.
   */
  data?: Readonly<Record<string, string>>;
}

/** What stat says about a bind source: enough to tell whether a user may read or enter it. */
export interface BindStat {
  uid: number;
  gid: number;
  mode: number;
  isDirectory: boolean;
}

export interface HostContext {
  rootless: boolean;
  userName: string;
  uid: number;
  portStart: number;
  selinuxEnforcing: boolean;
  cdiDevices: string[];
  /** The installed podman-compose version, or null when none answers. */
  podmanCompose?: string | null;
  /** The home of the user who runs the project (what ~ in a bind source means). */
  home?: string;
  /** Every home on the host (/etc/passwd, /home/*): never relabelled, nor what holds them. */
  homes?: string[];
  /**
   * Images a Docker engine that answers holds only locally (built or tagged here, no registry
   * digest), as name:tag (see imageTag); undefined when no engine answers.
   */
  localImages?: Set<string>;
  /** Docker's and Podman's volume names; undefined when no Docker engine lists them. */
  dockerVolumes?: { docker: Set<string>; podman: Set<string> };
  /**
   * The user who runs the project, their groups, and the bind sources as stat saw them (by full
   * path; null when missing); only on a live host, rootless.
   */
  bindAccess?: { user: UserInfo; groups: number[]; stats: Map<string, BindStat | null> };
  /**
   * Bind sources (as host paths) that are, or run through, symbolic links, mapped to the folder
   * they really name: Podman relabels that folder, so the relabel rule judges it too.
   */
  linkTargets?: Map<string, string>;
  /**
   * Sockets listening (tcp) or bound (udp) on the host, from /proc/net; the process is named
   * only when podlift runs as root on a live host. Undefined when /proc/net is unreadable.
   */
  listening?: Listener[];
  /**
   * What could start containers again after boot: whether systemd runs (/run/systemd/system), and
   * under rootless whether the user lingers (/var/lib/systemd/linger/<user>; null rootful).
   * podmanRestart: podman-restart.service is enabled for the user who runs the project (it starts
   * restart-policy=always containers at boot); quadlets: the names of their Quadlet .container
   * units and the ContainerName= they give. Both undefined when not looked at (unknown).
   */
  hostRestarts?: { systemd: boolean; lingers: boolean | null; podmanRestart?: boolean; quadlets?: string[] };
  /**
   * Rootless: whether the user has a running systemd user manager (/run/user/<uid>/systemd),
   * which runs Podman's healthcheck timers; undefined rootful or when it cannot be told.
   */
  userManager?: boolean;
  /**
   * The networks Podman has for the user who runs the project (podman network ls); undefined
   * when podman does not answer.
   */
  podmanNetworks?: Set<string>;
  /**
   * Rootless: the cgroup controllers delegated to the user (cgroup.controllers of
   * user@<uid>.service; [] when cgroup v2 has no such cgroup), null on cgroup v1 (rootless
   * Podman sets no limits there); undefined rootful or when /sys/fs/cgroup is unreadable.
   */
  delegatedControllers?: string[] | null;
  /**
   * The USER of each image the project names (by the name it is written with; "" for root),
   * from Podman's storage as the user who runs the project, else Docker's; an image neither
   * holds is absent. Only rootless, and only for the project's own images.
   */
  imageUsers?: Map<string, string>;
  /** `podman --version` (keep-id:uid= needs 4.3); null when podman is not installed, undefined unknown. */
  podmanVersion?: string | null;
}

/** A listening socket: "docker-proxy (pid 1234)" as process when it can be read. */
export interface Listener {
  proto: "tcp" | "udp";
  address: string;
  port: number;
  process?: string;
}

/** Every host fact by name: a rule declares which of these it reads. */
export const FACTS = [
  "rootless",
  "userName",
  "uid",
  "portStart",
  "selinuxEnforcing",
  "cdiDevices",
  "podmanCompose",
  "home",
  "homes",
  "localImages",
  "dockerVolumes",
  "bindAccess",
  "linkTargets",
  "listening",
  "hostRestarts",
  "podmanNetworks",
  "userManager",
  "delegatedControllers",
  "imageUsers",
  "podmanVersion",
] as const satisfies readonly (keyof HostContext)[];

export type Fact = (typeof FACTS)[number];
export type Service = Record<string, unknown>;

export interface RuleContext {
  project: Loaded;
  /** Only the facts the rule declares: reading another one throws. */
  host: HostContext;
  /** The services mapping ({} when the file has none; rules needing "services" then do not run). */
  services: Record<string, Service>;
  /** The position of a value (or, as "key:<path>", of its key); 1:1 when unknown. */
  at(path: string): Position;
}

/** A declared finding code, as ESLint rules declare meta.messages. */
export interface CodeDeclaration {
  /** Every status the code can have (gpu-request: warn, or fail without a CDI spec). */
  status: readonly ComposeStatus[];
  /** One line for the docs table and `podlift compose check`'s readers. */
  summary: string;
}

/** Where edits are made: the Podman socket to point at, the SELinux label to add (null: none). */
export interface EditEnv {
  socket: string;
  label: string | null;
}

/** How `compose fix` edits the line of one finding code. */
export interface LineEdit {
  /** safe: applied with --yes; confirm: also needs --allow-risky (it changes the host). */
  risk: "safe" | "confirm";
  /**
   * The line to edit, when not the finding's own: keep-id goes under the service's user:, a
   * network's name: under its key (a line the rule put in the finding's data).
   */
  line?(finding: ComposeFinding, userLines: Map<string, number>): number | undefined;
  /** The replacement lines, or null when the line is not in a form podlift edits. */
  edit(line: string, env: EditEnv, finding: ComposeFinding): string[] | null;
}

export interface ComposeRule {
  /** Stable, kebab-case, the file name in compose-rules/. */
  id: string;
  title: string;
  /** docs/compose-rules/<id>.md */
  docs: string;
  codes: Readonly<Record<string, CodeDeclaration>>;
  /** The host facts it reads. */
  facts: readonly Fact[];
  /**
   * What must be there for it to run at all: a services mapping, or an optional fact (a Docker
   * engine that lists volumes; a live rootless host for bind access).
   */
  requires?: readonly ("services" | "dockerVolumes" | "bindAccess" | "listening")[];
  /** Edits by finding code (each a declared code). */
  edits?: Readonly<Record<string, LineEdit>>;
  run(ctx: RuleContext): ComposeFinding[];
}
