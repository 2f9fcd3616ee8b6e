// Golden plans: what each fix would do on the fixture hosts, and apply + verify + undo on
// scratch copies of them.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderPlan, renderScript } from "../../src/fix/render.js";
import { undoRun } from "../../src/fix/session.js";
import { PASSWD, scratchCopy, tempHost, USER } from "../helpers.js";
import { planOn } from "./fix-helpers.js";

const read = (root: string, p: string) => readFileSync(path.join(root, p), "utf8");

describe("fix plans on fixture hosts", () => {
  it("userns-sysctls: sets both keys now and persists them in one file (Debian 11)", async () => {
    const root = scratchCopy("debian-11-userns-off");
    const { plan, apply, host } = await planOn(root, { only: ["userns-sysctls"] });
    const p = plan("userns-sysctls");
    expect(p.changes).toEqual([
      expect.objectContaining({
        kind: "sysctl",
        key: "kernel.unprivileged_userns_clone",
        before: "0",
        after: "1",
      }),
      expect.objectContaining({
        kind: "write-file",
        path: "/etc/sysctl.d/90-podlift-userns.conf",
        before: null,
        after:
          "# Written by podlift fix. Remove this file (and sysctl -w the old values) to undo.\nkernel.unprivileged_userns_clone = 1\n",
      }),
    ]);
    // The fixture's unshare answers from a table and still fails: an old problem, not a new one.
    const result = await apply(["userns-sysctls"]);
    expect(result.outcomes[0]).toMatchObject({ fixId: "userns-sysctls", status: "applied", verified: true });
    expect(read(root, "proc/sys/kernel/unprivileged_userns_clone")).toBe("1\n");
    expect(await undoRun(host, undefined, false)).toMatchObject({
      restored: ["userns-sysctls"],
      problems: [],
    });
    expect(read(root, "proc/sys/kernel/unprivileged_userns_clone")).toBe("0\n");
    expect(() => read(root, "etc/sysctl.d/90-podlift-userns.conf")).toThrow();
  });

  it("apparmor: the Podman profile is safe, switching the restriction off is risky (Ubuntu 24.04)", async () => {
    const root = scratchCopy("ubuntu-24.04-desktop");
    const { planned } = await planOn(root, {
      spec: { commands: [] },
    });
    const profile = planned.plans.find((p) => p.fixId === "apparmor-podman-profile");
    const unplannable = planned.unplannable.find((u) => u.fixId === "apparmor-podman-profile");
    // The fixture has no apparmor_parser: podlift says so instead of writing a profile it cannot load.
    expect(profile).toBeUndefined();
    expect(unplannable?.reason).toContain("apparmor_parser is not installed");
    const off = planned.plans.find((p) => p.fixId === "apparmor-userns-off");
    expect(off?.risk).toBe("confirm");
    expect(off?.changes[0]).toMatchObject({
      kind: "sysctl",
      key: "kernel.apparmor_restrict_unprivileged_userns",
      before: "1",
      after: "0",
    });
  });

  it("apparmor-podman-profile: writes and loads a profile granting userns to podman only", async () => {
    const root = scratchCopy("ubuntu-24.04-desktop");
    const { writeFileSync, mkdirSync } = await import("node:fs");
    mkdirSync(path.join(root, "sbin"), { recursive: true });
    writeFileSync(path.join(root, "sbin/apparmor_parser"), "");
    writeFileSync(path.join(root, "usr/bin/podman"), "");
    const { plan } = await planOn(root);
    const p = plan("apparmor-podman-profile");
    expect(p.changes[0]).toMatchObject({
      kind: "write-file",
      path: "/etc/apparmor.d/podlift-podman",
      before: null,
    });
    expect(p.changes[0]?.kind === "write-file" && p.changes[0].after).toContain(
      "profile podlift-podman /usr/bin/podman flags=(unconfined) {\n  userns,",
    );
    expect(p.changes[1]).toMatchObject({
      kind: "command",
      argv: ["/sbin/apparmor_parser", "-r", "/etc/apparmor.d/podlift-podman"],
      undo: ["/sbin/apparmor_parser", "-R", "/etc/apparmor.d/podlift-podman"],
    });
  });

  it("unprivileged-ports: risky, lowers the start to the lowest needed port only (RHEL 9 compose)", async () => {
    const root = scratchCopy("rhel-9-selinux");
    const { plan } = await planOn(root, { compose: "/_inputs/compose.yaml" });
    const p = plan("unprivileged-ports");
    expect(p.risk).toBe("confirm");
    expect(p.changes[0]).toMatchObject({
      kind: "sysctl",
      key: "net.ipv4.ip_unprivileged_port_start",
      before: "1024",
      after: "80",
    });
    expect(p.notes[0]).toContain("8080:80");
  });

  it("selinux-compose-labels: adds :z to unlabeled short-syntax binds, keeps the rest of the file", async () => {
    const root = scratchCopy("rhel-9-selinux");
    const { plan, apply, host } = await planOn(root, { compose: "/_inputs/compose.yaml" });
    const p = plan("selinux-compose-labels");
    expect(p.risk).toBe("confirm");
    const rendered = renderPlan(p);
    expect(rendered).toContain("-      - ./site:/usr/share/nginx/html\n");
    expect(rendered).toContain("+      - ./site:/usr/share/nginx/html:z\n");
    expect(rendered).toContain("+      - ./conf/nginx.conf:/etc/nginx/nginx.conf:ro,z\n");
    expect(rendered).toContain(
      "         target: /docker-entrypoint-initdb.d\n     +        bind:\n     +          selinux: z\n",
    );
    const before = read(root, "_inputs/compose.yaml");
    const result = await apply(["selinux-compose-labels"]);
    expect(result.outcomes[0]).toMatchObject({ status: "applied", verified: true });
    const { parseCompose } = await import("../../src/compose/info.js");
    const binds = parseCompose(read(root, "_inputs/compose.yaml"), "compose.yaml").binds;
    expect(binds.every((b) => b.options.some((o) => o === "z" || o === "Z"))).toBe(true);
    await undoRun(host, undefined, false);
    expect(read(root, "_inputs/compose.yaml")).toBe(before);
  });

  it("cdi: regenerating needs nvidia-ctk; a spec mode is fixed by chmod with a backup", async () => {
    const gpu = await planOn(scratchCopy("gpu-stale-cdi"));
    expect(gpu.planned.unplannable.find((u) => u.fixId === "cdi-regenerate")?.reason).toContain(
      "nvidia-ctk is not installed",
    );
    const root = tempHost(
      {
        "etc/passwd": PASSWD,
        "etc/cdi/vendor.yaml":
          "cdiVersion: 0.6.0\nkind: vendor.com/dev\ndevices:\n- name: a\n  containerEdits: {}\n",
      },
      { user: USER, stat: { "/etc/cdi/vendor.yaml": { mode: 0o600, uid: 0 } } },
    );
    const { plan } = await planOn(root);
    expect(plan("cdi-spec-mode").changes).toEqual([
      expect.objectContaining({
        kind: "command",
        argv: ["chmod", "0644", "/etc/cdi/vendor.yaml"],
        touches: ["/etc/cdi/vendor.yaml"],
      }),
    ]);
  });

  it("short-names: a drop-in of podlift's own, applied, verified and undone", async () => {
    const root = scratchCopy("ubuntu-24.04-desktop");
    const { plan, apply, host } = await planOn(root, { only: ["short-names"] });
    expect(plan("short-names").changes[0]).toMatchObject({
      kind: "write-file",
      path: "/etc/containers/registries.conf.d/90-podlift-shortnames.conf",
      before: null,
    });
    const result = await apply(["short-names"]);
    expect(result.outcomes).toEqual([{ fixId: "short-names", status: "applied", verified: true }]);
    expect(read(root, "etc/containers/registries.conf.d/90-podlift-shortnames.conf")).toContain(
      '["docker.io"]',
    );
    await undoRun(host, undefined, false);
    expect(() => read(root, "etc/containers/registries.conf.d/90-podlift-shortnames.conf")).toThrow();
  });

  it("linger and podman-socket need systemd and say why not otherwise", async () => {
    const ubuntu = await planOn(scratchCopy("ubuntu-24.04-desktop"));
    expect(ubuntu.plan("linger").changes[0]).toMatchObject({
      argv: ["loginctl", "enable-linger", "alice"],
      undo: ["loginctl", "disable-linger", "alice"],
    });
    expect(ubuntu.plan("podman-socket").changes[0]).toMatchObject({
      argv: ["systemctl", "--user", "enable", "--now", "podman.socket"],
    });
    const bare = await planOn(tempHost({ "etc/passwd": PASSWD }, { user: USER }));
    expect(bare.planned.unplannable.find((u) => u.fixId === "linger")?.reason).toContain("no systemd");
    expect(bare.planned.unplannable.find((u) => u.fixId === "podman-socket")?.reason).toContain(
      "podman system service",
    );
  });

  it("container-ulimits: only for the rlimit cause, once the canary's run with the limits started", async () => {
    const spec = (stderr: string) => ({
      commands: [
        { argv: ["podman", "--version"], stdout: "podman version 4.3.1\n" },
        // The canary's second try, with the host's limits as --ulimit flags, starts.
        { argv: ["podman", "run", "--rm", "--network", "none", "--ulimit"], prefix: true, exitCode: 0 },
        { argv: ["podman", "run"], prefix: true, exitCode: 126, stderr },
      ],
    });
    const limits =
      "Limit Soft Hard Units\nMax processes 96365 96365 processes\nMax open files 20000 20000 files\n";
    const rlimit = await planOn(
      tempHost(
        { "etc/passwd": PASSWD, "proc/self/limits": limits },
        spec("Error: error setting rlimit type 7: operation not permitted"),
      ),
    );
    expect(rlimit.plan("container-ulimits").summary).toContain("nofile=20000 and nproc=32768");
    const other = await planOn(tempHost({ "etc/passwd": PASSWD }, spec("Error: something else")));
    expect(other.planned.unplannable.find((u) => u.fixId === "container-ulimits")?.reason).toContain(
      "another cause",
    );
  });

  it("container-runtime: runc as the default only when the canary started a container with it", async () => {
    const spec = (runcStarts: boolean) => ({
      commands: [
        { argv: ["podman", "--version"], stdout: "podman version 4.3.1\n" },
        {
          argv: ["podman", "info", "--format", "json"],
          stdout: JSON.stringify({ host: { ociRuntime: { name: "crun" } } }),
        },
        { argv: ["runc", "--version"], stdout: "runc version 1.1.5\n" },
        {
          argv: ["podman", "run", "--rm", "--network", "none", "--runtime", "runc"],
          prefix: true,
          exitCode: runcStarts ? 0 : 1,
        },
        {
          argv: ["podman", "run"],
          prefix: true,
          exitCode: 126,
          stderr: "Error: OCI runtime error: crun: cgroups in hybrid mode not supported",
        },
      ],
    });
    const proven = await planOn(tempHost({ "etc/passwd": PASSWD }, spec(true)));
    const plan = proven.plan("container-runtime");
    // Safe once proven: the default runtime starts nothing, runc does (issue 14: fix --yes).
    expect(plan.risk).toBe("safe");
    expect(plan.changes).toEqual([
      expect.objectContaining({
        path: "/etc/containers/containers.conf.d/90-podlift-runtime.conf",
        after: expect.stringContaining('[engine]\nruntime = "runc"'),
      }),
    ]);
    const unproven = await planOn(tempHost({ "etc/passwd": PASSWD }, spec(false)));
    expect(unproven.planned.unplannable.find((u) => u.fixId === "container-runtime")?.reason).toContain(
      "did not show",
    );
  });

  it("runtime-dir-mode: chmod 0700 now, the old mode back on undo", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "run/user/1000/.keep": "" },
      {
        user: USER,
        env: { XDG_RUNTIME_DIR: "/run/user/1000" },
        stat: { "/run/user/1000": { mode: 0o755, uid: 1000 } },
      },
    );
    const { plan } = await planOn(root);
    expect(plan("runtime-dir-mode").changes).toEqual([
      expect.objectContaining({
        kind: "command",
        argv: ["chmod", "0700", "/run/user/1000"],
        undo: ["chmod", "0755", "/run/user/1000"],
        needsRoot: false,
      }),
    ]);
  });

  it("docker-host-profile: risky, appends DOCKER_HOST to the user's ~/.profile, and never twice", async () => {
    const root = tempHost(
      { "etc/passwd": PASSWD, "home/alice/.profile": "# ~/.profile\numask 022" },
      { user: USER, env: { XDG_RUNTIME_DIR: "/run/user/1000" } },
    );
    const { plan, apply, host } = await planOn(root, { only: ["docker-host-profile"] });
    const p = plan("docker-host-profile");
    expect(p.risk).toBe("confirm");
    expect(p.changes[0]).toMatchObject({
      path: "/home/alice/.profile",
      after:
        "# ~/.profile\numask 022\nexport DOCKER_HOST=unix:///run/user/1000/podman/podman.sock  # added by podlift fix\n",
      needsRoot: false,
    });
    // The profile is for new shells: no check in this process can see it, so none verifies it.
    expect(p.verify).toEqual([]);
    const result = await apply(["docker-host-profile"]);
    expect(result.outcomes[0]).toEqual({ fixId: "docker-host-profile", status: "applied" });
    expect(read(root, "home/alice/.profile")).toContain("export DOCKER_HOST=");
    expect(await undoRun(host, undefined, false)).toMatchObject({
      restored: ["docker-host-profile"],
      problems: [],
    });
    expect(read(root, "home/alice/.profile")).toBe("# ~/.profile\numask 022");
    const again = await planOn(
      tempHost({ "etc/passwd": PASSWD, "home/alice/.profile": "export DOCKER_HOST=x\n" }, { user: USER }),
    );
    expect(again.planned.unplannable.find((u) => u.fixId === "docker-host-profile")?.reason).toContain(
      "already sets DOCKER_HOST",
    );
  });

  it("renders a script a person can review and run as root", async () => {
    const { planned } = await planOn(scratchCopy("no-subuid-entry"));
    const script = renderScript(planned.plans);
    expect(script).toContain(
      "install -D -m 0644 -o 0 -g 0 /dev/stdin /etc/subuid <<'PODLIFT_EOF'\nolduser:100000:65536\nnewhire:165536:65536\nPODLIFT_EOF",
    );
    // Content without a final newline goes through printf so the script writes it byte for byte.
    const { renderScript: render } = await import("../../src/fix/render.js");
    const exact = render([
      {
        ...planned.plans[0],
        changes: [
          { kind: "write-file", path: "/x", before: null, after: "no newline", mode: 0o600, why: "w" },
        ],
      } as never,
    ]);
    expect(exact).toContain("printf '%s' 'no newline' | install -D -m 0600 /dev/stdin /x");
    // And the script really writes those bytes: run it on files in a scratch folder.
    const { mkdtempSync, readFileSync: read } = await import("node:fs");
    const { execFileSync } = await import("node:child_process");
    const os = await import("node:os");
    const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-script-"));
    const contents = ["it's\nquoted 'twice'", "ends in newline\n", "PODLIFT_EOF\nmarker inside\n"];
    const many = render([
      {
        ...planned.plans[0],
        changes: contents.map((after, i) => ({
          kind: "write-file",
          path: `${dir}/f${i}`,
          before: null,
          after,
          mode: 0o644,
          why: "w",
        })),
      } as never,
    ]);
    execFileSync("sh", ["-c", many]);
    for (const [i, c] of contents.entries()) expect(read(`${dir}/f${i}`, "utf8")).toBe(c);
  });
});
