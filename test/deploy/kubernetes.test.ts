// The Kubernetes manifests: valid against the Kubernetes API schemas (kubernetes-models; there is
// no cluster here), mounting the node's / read-only at /host; and the exact command their doctor
// container runs, run here against a host root the way the pod runs it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { validateReport } from "../schema.js";

const ROOT = path.join(import.meta.dirname, "..", "..");
const DIR = path.join(ROOT, "deploy", "kubernetes");
const KINDS: Record<string, new (data: never) => { validate(): void }> = {
  Namespace: Namespace as never,
  DaemonSet: DaemonSet as never,
  Job: Job as never,
};

type Container = {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};

function manifests(file: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(readFileSync(path.join(DIR, file), "utf8"));
  for (const d of docs) expect(d.errors).toEqual([]);
  return docs.map((d) => d.toJSON() as Record<string, unknown>);
}

function doctorOf(spec: Record<string, unknown>): { doctor: Container; pod: Record<string, unknown> } {
  const pod = ((spec.spec as Record<string, unknown>).template as { spec: Record<string, unknown> }).spec;
  const all = [...((pod.initContainers as Container[]) ?? []), ...(pod.containers as Container[])];
  return { doctor: all.find((c) => c.name === "doctor") as Container, pod };
}

/** The image's ENTRYPOINT, from the Containerfile. */
function entrypoint(): string[] {
  const line = readFileSync(path.join(DIR, "Containerfile"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("ENTRYPOINT "));
  return JSON.parse((line as string).slice("ENTRYPOINT ".length));
}

describe("Kubernetes manifests", () => {
  for (const file of ["daemonset.yaml", "job.yaml"]) {
    it(`${file}: every object is valid; the doctor reads the node's / read-only at /host`, () => {
      const objects = manifests(file);
      for (const o of objects) {
        const Model = KINDS[o.kind as string];
        expect(Model, `kind ${o.kind}`).toBeDefined();
        expect(() => new (Model as new (d: unknown) => { validate(): void })(o).validate()).not.toThrow();
      }
      const workload = objects.find((o) => o.kind !== "Namespace") as Record<string, unknown>;
      const { doctor, pod } = doctorOf(workload);
      expect(doctor.args?.slice(0, 3)).toEqual(["doctor", "--root", "/host"]);
      const mount = doctor.volumeMounts?.find((m) => m.mountPath === "/host");
      expect(mount?.readOnly).toBe(true);
      const volume = (pod.volumes as { name: string; hostPath?: { path: string } }[]).find(
        (v) => v.name === mount?.name,
      );
      expect(volume?.hostPath?.path).toBe("/");
    });
  }

  it("the schema check can fail: a wrong type is refused", () => {
    const [, ds] = manifests("daemonset.yaml");
    const { doctor } = doctorOf(ds as Record<string, unknown>);
    (doctor as unknown as { securityContext: unknown }).securityContext = { privileged: "yes" };
    expect(() => new DaemonSet(ds as never).validate()).toThrow(/privileged must be boolean/);
  });

  it("the DaemonSet's doctor command, run as the pod runs it, writes a valid report named by its node", async () => {
    const [, ds] = manifests("daemonset.yaml");
    const { doctor } = doctorOf(ds as Record<string, unknown>);
    // Kubernetes expands $(VAR) in args from the container's env; the node's / is at /host: here
    // a host tree stands in for it, and the image's entrypoint is the single file just built.
    const env: Record<string, string> = { NODE_NAME: "worker-7" };
    for (const e of doctor.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const host = path.join(ROOT, "test", "fixtures", "hosts", "debian-11-userns-off");
    const args = (doctor.args ?? []).map((a) =>
      a.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? "").replace(/^\/host$/, host),
    );
    const [node, script] = entrypoint();
    expect(node).toBe("node");
    expect(script).toBe("/opt/podlift/podlift.cjs");
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        [path.join(ROOT, "dist", "podlift.cjs"), ...args],
        { env: { ...process.env, ...env } },
        (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout }),
      ),
    );
    const report = JSON.parse(r.stdout);
    expect(validateReport(report)).toBe(true);
    expect(report.host).toMatchObject({ name: "worker-7", root: host });
    // A host with findings still exits 0 (--exit-zero): the init container does not restart.
    expect(report.summary.fail).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  });
});
