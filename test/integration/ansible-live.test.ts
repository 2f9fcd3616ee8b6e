// The Ansible route (deploy/ansible/podlift.yml), run for real with ansible-playbook against
// three hosts on this machine: this machine itself, a Debian 12 root and a Debian 13 root with
// Podman 5 (each a --root host, as podlift runs in a pod with the host at /host). The merged
// report must name each host with the status its own report gives.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { validateFleetReport, validateReport } from "../schema.js";
import { BOOKWORM, ensureDebianRoot, ensureTrixieRoot, withMounts } from "./debian-roots.js";
import { liveUnavailable } from "./live.js";

const ROOT = path.join(import.meta.dirname, "..", "..");
const skip = liveUnavailable(["podman", "ansible-playbook", "debootstrap"]);

type Report = { host: { name: string; os: { prettyName: string } | null }; summary: Record<string, number> };

describe.skipIf(skip !== null)("podlift across a fleet with ansible-playbook", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "podlift-ansible-"));
  let roots: { debian12: string; debian13: string };
  beforeAll(async () => {
    roots = { debian12: (await ensureDebianRoot(BOOKWORM)).dir, debian13: (await ensureTrixieRoot()).dir };
  }, 1200000);

  it("runs the doctor on three hosts, fetches each report, and merges them with each host's true status", async () => {
    const inventory = path.join(work, "inventory.ini");
    writeFileSync(
      inventory,
      [
        "[fleet]",
        "this-machine ansible_connection=local",
        `debian12 ansible_connection=local podlift_root=${roots.debian12}`,
        `debian13 ansible_connection=local podlift_root=${roots.debian13}`,
        "[fleet:vars]",
        "ansible_python_interpreter=/usr/bin/python3",
        `podlift_dest=${path.join(work, "bin", "podlift.cjs")}`,
        "",
      ].join("\n"),
    );
    const reports = path.join(work, "reports");
    // Podman in the Debian 13 root reads /proc: the root has the host's /proc, /sys and /dev, as a
    // pod with the host at /host would.
    const r = await withMounts(
      roots.debian13,
      () =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(
            "ansible-playbook",
            [
              "-i",
              inventory,
              path.join(ROOT, "deploy", "ansible", "podlift.yml"),
              "-e",
              `podlift_reports=${reports}`,
            ],
            {
              cwd: work,
              timeout: 600000,
              env: {
                ...process.env,
                ANSIBLE_NOCOLOR: "1",
                ANSIBLE_LOCAL_TEMP: path.join(work, "ansible-tmp"),
              },
            },
            (error, stdout, stderr) =>
              resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
          ),
        ),
    );
    expect(r.stderr + r.stdout).not.toMatch(/FAILED!|UNREACHABLE!/);
    expect(r.code).toBe(0);
    // Every host's own report came back, valid.
    const own = new Map<string, Report>();
    for (const name of readdirSync(path.join(reports, "hosts")).sort()) {
      const report = JSON.parse(readFileSync(path.join(reports, "hosts", name), "utf8"));
      expect(validateReport(report)).toBe(true);
      own.set(name.replace(/\.json$/, ""), report);
    }
    expect([...own.keys()]).toEqual(["debian12", "debian13", "this-machine"]);
    // Genuinely different hosts: the roots' own os-release, not this machine's.
    expect(own.get("debian12")?.host.os?.prettyName).toMatch(/Debian GNU\/Linux 12/);
    expect(own.get("debian13")?.host.os?.prettyName).toMatch(/Debian GNU\/Linux 13/);
    // The merged report names each host with the status its own report gives.
    const fleet = JSON.parse(readFileSync(path.join(reports, "fleet.json"), "utf8"));
    expect(validateFleetReport(fleet)).toBe(true);
    expect(fleet.summary.hosts).toBe(3);
    for (const host of fleet.hosts as { name: string; state: string; blocking: string[] }[]) {
      const s = own.get(host.name)?.summary ?? {};
      const state = (s.fail ?? 0) > 0 ? "blocked" : (s.error ?? 0) > 0 ? "incomplete" : "ready";
      expect(`${host.name}:${host.state}`).toBe(`${host.name}:${state}`);
    }
    // Debian 12's root has no Podman; Debian 13's has Podman 5.
    const debian12 = fleet.hosts.find((h: { name: string }) => h.name === "debian12");
    expect(debian12.blocking).toContain("podman.missing");
    const debian13 = fleet.hosts.find((h: { name: string }) => h.name === "debian13");
    expect(debian13.blocking).not.toContain("podman.missing");
    expect(readFileSync(path.join(reports, "fleet.html"), "utf8")).toContain("debian13");
  }, 900000);
});
