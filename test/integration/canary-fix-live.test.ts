// Issue 14's requirement for this project's CI machine (Debian 12, Podman 4.3, no systemd, cgroup
// v1 with a v2 hierarchy beside it, root without CAP_SYS_RESOURCE), made real on this machine:
// /dev/net/tun at 0600 and a throwaway rootless user without subordinate ids. `podlift fix --yes
// --user U` must leave both the rootful and the rootless canary starting containers, with and
// without a network, and `podlift undo` must put every byte back: /etc/subuid, /etc/subgid,
// /etc/containers, the user's ~/.config/containers and the mode of /dev/net/tun.
// The runtime is whatever is installed: runc only here; with crun installed (`which crun`) the
// same test covers that case (the crun run was made by hand, see the commit message).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveJournalTurn, runPodlift } from "../helpers.js";
import { createUser, liveUnavailable, removeUser } from "./live.js";

const skip = liveUnavailable(["podman"]);
const USER = "podlift-t-canary";
const TUN = "/dev/net/tun";

const podlift = (args: string[]) => runPodlift(args, { timeoutMs: 240000 });

interface CanaryFinding {
  code: string;
  status: string;
  message: string;
  evidence?: { mode?: string; cause?: string; proven?: string[] };
}

async function canary(): Promise<CanaryFinding[]> {
  const r = await podlift(["doctor", "--only", "canary", "--user", USER, "--format", "json"]);
  const report = JSON.parse(r.stdout) as { checks: { findings: CanaryFinding[] }[] };
  return report.checks[0]?.findings ?? [];
}

/** Every file and folder under a path: name, type, mode, owner and, for files, a content hash. */
function tree(root: string): string[] {
  if (!existsSync(root)) return [`${root} absent`];
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    const head = `${p} ${st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : "file"} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      out.push(head);
      for (const name of readdirSync(p).sort()) walk(path.join(p, name));
    } else if (st.isFile()) {
      out.push(`${head} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
    } else out.push(head);
  };
  walk(root);
  return out;
}

/**
 * /etc/subuid or /etc/subgid, without the lines of other users that another process on this
 * shared machine added or removed between the two reads (tests of other worktrees create users).
 * With no such line the comparison is byte for byte.
 */
function subidLines(before: string, after: string): [string, string] {
  // Every line of each owner (a user may hold several lines, or appear twice mid-change).
  const owners = (text: string) => {
    const by = new Map<string, string>();
    for (const l of text.split("\n")) {
      const o = l.split(":")[0] ?? "";
      by.set(o, `${by.get(o) ?? ""}${l}\n`);
    }
    return by;
  };
  const b = owners(before);
  const a = owners(after);
  const moved = new Set(
    [...b.keys(), ...a.keys()].filter((o) => o !== USER && o !== "" && b.get(o) !== a.get(o)),
  );
  const keep = (text: string) =>
    text
      .split("\n")
      .filter((l) => !moved.has(l.split(":")[0] ?? ""))
      .join("\n");
  return [keep(before), keep(after)];
}

function snapshot() {
  return {
    subuid: readFileSync("/etc/subuid", "utf8"),
    subgid: readFileSync("/etc/subgid", "utf8"),
    containers: tree("/etc/containers"),
    userContainers: tree(`/home/${USER}/.config/containers`),
    udevRule: existsSync("/etc/udev/rules.d/90-podlift-tun.rules"),
    tunMode: statSync(TUN).mode & 0o7777,
  };
}

const runtime = (() => {
  try {
    execFileSync("sh", ["-c", "command -v crun"], { stdio: "ignore" });
    return "crun";
  } catch {
    return "runc only";
  }
})();

// Other test files run podlift fix and compose fix on this machine too: one at a time.
let release: (() => void) | undefined;
beforeAll(async () => {
  release = await liveJournalTurn();
}, 300000);
afterAll(() => release?.());

describe.skipIf(skip !== null || !existsSync(TUN))(
  `canary remedies on the CI machine's state (${runtime})`,
  () => {
    let tunMode = 0;
    beforeAll(() => {
      tunMode = statSync(TUN).mode & 0o7777;
      createUser(USER, false); // no subordinate ids, as a user made before they were set up
      chmodSync(TUN, 0o600);
    });
    afterAll(() => {
      chmodSync(TUN, tunMode);
      removeUser(USER);
    });

    it("fix --yes leaves both canaries starting containers; undo puts every byte back", async () => {
      const before = snapshot();
      const failing = await canary();
      // The rootless default network fails on the device, and root's try through it proved the fix.
      const net = failing.find(
        (f) => f.code === "canary.network-failed" && f.evidence?.mode?.startsWith("rootless"),
      );
      // With crun, runc had to get the plain run going first: the proof names both.
      expect(net?.evidence).toMatchObject({
        cause: "tun-device",
        proven: runtime === "crun" ? ["container-runtime", "tun-device-mode"] : ["tun-device-mode"],
      });

      const fix = await podlift(["fix", "--yes", "--user", USER]);
      expect(fix.stdout).toContain("✔ tun-device-mode: applied and verified");
      expect(fix.stdout).not.toContain("rolled back");
      const after = await canary();
      for (const mode of ["rootful", `rootless (${USER})`]) {
        expect(
          after.filter((f) => f.evidence?.mode === mode && f.status === "pass").map((f) => f.code),
          `${mode}: ${JSON.stringify(after.filter((f) => f.status !== "pass"))}`,
        ).toEqual(["canary.ok", "canary.network-ok"]);
      }
      expect(after.filter((f) => f.status === "fail")).toEqual([]);
      expect(statSync(TUN).mode & 0o7777).toBe(0o666);

      const run = /podlift undo --run (\S+)/.exec(fix.stdout)?.[1];
      expect(run).toBeDefined();
      const undo = await podlift(["undo", "--run", run as string]);
      expect(undo.stderr).toBe("");
      expect(undo.code).toBe(0);
      const back = snapshot();
      expect(back.tunMode).toBe(0o600);
      expect(subidLines(before.subuid, back.subuid)[1]).toBe(subidLines(before.subuid, back.subuid)[0]);
      expect(subidLines(before.subgid, back.subgid)[1]).toBe(subidLines(before.subgid, back.subgid)[0]);
      expect(back.containers).toEqual(before.containers);
      expect(back.userContainers).toEqual(before.userContainers);
      expect(back.udevRule).toBe(before.udevRule);
    }, 600000);

    it("storage-overlay, risky: the rootless store leaves vfs once asked, and undo removes storage.conf", async () => {
      const before = snapshot();
      const vfs = (await canary()).find((f) => f.code === "canary.storage-vfs");
      if (!vfs) {
        // No vfs warning (a store on overlay already, or a plain run that does not start before
        // other fixes): nothing is planned for the store.
        const dry = await podlift([
          "fix",
          "--dry-run",
          "--format",
          "json",
          "--user",
          USER,
          "--only",
          "storage-overlay",
        ]);
        const plans = dry.stdout.trim() === "" ? [] : (JSON.parse(dry.stdout).plans as { fixId: string }[]);
        expect(plans.map((p) => p.fixId)).not.toContain("storage-overlay");
        return;
      }
      // With crun, runc got the plain run going first: the proof names both, and both are applied.
      const proven = vfs.evidence?.proven ?? [];
      expect(proven).toEqual(
        runtime === "crun" ? ["container-runtime", "storage-overlay"] : ["storage-overlay"],
      );
      const only = proven.join(",");
      const plain = await podlift(["fix", "--yes", "--user", USER, "--only", only]);
      expect(plain.stderr).toContain("not applying risky fix storage-overlay without --allow-risky");
      if (runtime === "crun") {
        // The safe half was applied alone: put it back before the whole proof is applied.
        const first = /podlift undo --run (\S+)/.exec(plain.stdout)?.[1];
        expect((await podlift(["undo", "--run", first as string])).code).toBe(0);
      }
      const fix = await podlift(["fix", "--yes", "--allow-risky", "--user", USER, "--only", only]);
      expect(fix.stdout).toContain("✔ storage-overlay: applied and verified");
      const driver = execFileSync(
        "runuser",
        ["-u", USER, "--", "podman", "info", "--format", "{{.Store.GraphDriverName}}"],
        { cwd: "/", env: { ...process.env, HOME: `/home/${USER}` } },
      )
        .toString()
        .trim();
      expect(driver).toBe("overlay");
      const after = await canary();
      expect(after.map((f) => f.code)).not.toContain("canary.storage-vfs");
      // Whatever else the network run meets here (the device's mode), the plain run starts.
      expect(
        after.find((f) => f.evidence?.mode === `rootless (${USER})` && f.code === "canary.ok"),
      ).toBeDefined();
      const run = /podlift undo --run (\S+)/.exec(fix.stdout)?.[1];
      expect((await podlift(["undo", "--run", run as string])).code).toBe(0);
      expect(snapshot().userContainers).toEqual(before.userContainers);
    }, 600000);

    it("a stale single-id mapping after ranges were added: proven in a fresh namespace, podman-system-migrate fixes it", async () => {
      const uidMap = () =>
        execFileSync("runuser", ["-u", USER, "--", "podman", "unshare", "cat", "/proc/self/uid_map"], {
          cwd: "/",
          env: { ...process.env, HOME: `/home/${USER}` },
        })
          .toString()
          .trim()
          .split("\n");
      expect(uidMap()).toHaveLength(1); // Podman's namespace, made while the user had no ranges
      // Ranges added behind Podman's back, as an admin would (not by podlift).
      execFileSync("usermod", ["--add-subuids", "400000-465535", "--add-subgids", "400000-465535", USER]);
      expect(uidMap()).toHaveLength(1);
      // Live pause processes of the user (one ended and not yet reaped is a zombie: not counted).
      const pauses = () =>
        execFileSync("pgrep", ["-u", USER, "catatonit"])
          .toString()
          .trim()
          .split("\n")
          .filter((pid) => {
            const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
            return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
          });
      const pausesBefore = pauses();
      const stale = (await canary()).find((f) => f.code === "canary.stale-mapping");
      // With crun on this hybrid layout the fresh namespace starts with --runtime runc on top.
      expect(stale?.evidence?.proven).toEqual(
        runtime === "crun" ? ["container-runtime", "podman-system-migrate"] : ["podman-system-migrate"],
      );
      // The fresh namespace's own pause process did not outlive the try.
      expect(pauses()).toEqual(pausesBefore);
      const fix = await podlift(["fix", "--yes", "--user", USER, "--only", "podman-system-migrate"]);
      expect(fix.stdout).toContain("✔ podman-system-migrate: applied and verified");
      expect(uidMap()).toHaveLength(2);
      expect((await canary()).map((f) => f.code)).not.toContain("canary.stale-mapping");
      // Nothing to put back (Podman's own state), but the run is closed: no active run is left in
      // the live journal for a later `podlift undo` there to take for the host's.
      const run = /podlift undo --run (\S+)/.exec(fix.stdout)?.[1];
      expect((await podlift(["undo", "--run", run as string])).code).toBe(0);
    }, 600000);
  },
);
