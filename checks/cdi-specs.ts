// Podman hands GPUs to containers through CDI specs (`--device nvidia.com/gpu=all`), read from
// /etc/cdi and /var/run/cdi. A spec generated before a driver update mounts libraries that no
// longer exist, and the container fails to start. Spec format:
// https://github.com/cncf-tags/container-device-interface/blob/main/SPEC.md
// https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html

import gt from "semver/functions/gt.js";
// Only the functions used: the whole semver package costs ~40 files to load.
import valid from "semver/functions/valid.js";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { Check, Finding } from "../src/doctor/types.js";
import { UnreadableFileError } from "../src/host/safe-read.js";
import { printable } from "../src/parse/subid.js";
import { shellQuote } from "../src/text/safe-text.js";

export const CDI_DIRS = ["/etc/cdi", "/var/run/cdi"];
const KIND = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/[a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/;
const REGENERATE = "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml";

interface Spec {
  path: string;
  kind: string;
  devices: string[];
  hostPaths: string[];
}

export const check: Check = {
  id: "cdi-specs",
  title: "CDI device specs",
  docs: "docs/checks/cdi-specs.md",
  applies: () => true,
  async run({ host, facts }) {
    const findings: Finding[] = [];
    const specs: Spec[] = [];
    for (const dir of CDI_DIRS) {
      for (const name of (await host.listDir(dir)) ?? []) {
        if (!/\.(ya?ml|json)$/.test(name)) continue;
        const path = `${dir}/${name}`;
        const info = await host.stat(path);
        if (info === null) continue;
        const user = facts.targetUser;
        if (info.type !== "file") {
          findings.push({
            code: "cdi.not-a-file",
            status: "warn",
            message: `${printable(path)} is a ${info.type === "dir" ? "folder" : info.type}, not a CDI spec file; Podman reports an error for it.`,
            evidence: { path, type: info.type },
            remedy: `Remove it or move it out of ${dir}.`,
          });
          continue;
        }
        const readable = (info.mode & 0o004) !== 0 || (info.uid === user.uid && (info.mode & 0o400) !== 0);
        const unreadable: Finding = {
          code: "cdi.unreadable",
          status: "fail",
          message: `${printable(path)} is not readable by ${printable(user.name)} (mode ${info.mode.toString(8)}): rootless Podman will not see its devices.`,
          evidence: { path, mode: info.mode.toString(8), owner: info.uid },
          remedy: `sudo chmod 0644 ${shellQuote(path)}`,
        };
        let text: string | null;
        try {
          text = await host.readFile(path);
        } catch (error) {
          if (!(error instanceof UnreadableFileError)) throw error;
          // podlift itself may not read it (not root): say what that means for the target user.
          if (error.kind === "permission") {
            if (!facts.rootful || !readable) findings.push(unreadable);
            else
              findings.push({
                code: "cdi.unreadable",
                status: "warn",
                message: `${printable(path)} cannot be read by podlift (run as root to check it).`,
                evidence: { path, mode: info.mode.toString(8), owner: info.uid },
                remedy: "Run podlift as root: sudo podlift doctor.",
              });
          } else
            findings.push({
              code: "cdi.invalid",
              status: "fail",
              message: `${printable(error.message)}; Podman refuses every device in it.`,
              evidence: { path, kind: error.kind },
              remedy: `Regenerate or remove ${shellQuote(path)} (for NVIDIA: ${REGENERATE}).`,
            });
          continue;
        }
        if (text === null) continue;
        const parsed = parseSpec(path, text);
        if ("problem" in parsed) {
          findings.push({
            code: "cdi.invalid",
            status: "fail",
            message: `${printable(parsed.where)}: ${parsed.problem}; Podman refuses every device in it.`,
            evidence: { path },
            remedy: `Regenerate or remove ${shellQuote(path)} (for NVIDIA: ${REGENERATE}).`,
          });
          continue;
        }
        specs.push(parsed);
        if (!facts.rootful && !readable) findings.push(unreadable);
      }
    }
    const owners = new Map<string, string>();
    for (const spec of specs) {
      for (const device of spec.devices) {
        const fq = `${spec.kind}=${device}`;
        const first = owners.get(fq);
        if (first === undefined) owners.set(fq, spec.path);
        else {
          findings.push({
            code: "cdi.duplicate-device",
            status: "fail",
            message: `Device ${fq} is defined in both ${first} and ${spec.path}; Podman rejects ambiguous devices.`,
            evidence: { device: fq, specs: [first, spec.path] },
            remedy: "Keep one spec per vendor (usually /etc/cdi/nvidia.yaml) and delete the other.",
          });
        }
      }
    }
    findings.push(...(await nvidia(host, specs)));
    if (!findings.some((f) => f.status !== "pass")) {
      findings.push({
        code: "cdi.ok",
        status: "pass",
        message:
          specs.length === 0
            ? "No CDI specs and no NVIDIA GPU: nothing to check."
            : `${specs.length} CDI spec(s) valid: ${[...owners.keys()].slice(0, 8).join(", ")}.`,
        evidence: { specs: specs.map((s) => s.path) },
      });
    }
    return findings;
  },
};

export function parseSpec(path: string, text: string): Spec | { problem: string; where: string } {
  if (text.includes("\u0000")) return { problem: "binary data, not a CDI spec", where: path };
  // The YAML parser recurses and slows down with depth; a CDI spec is a few levels deep.
  if (flowDepth(text) > MAX_DEPTH)
    return { problem: `nested more than ${MAX_DEPTH} levels deep`, where: path };
  let doc: unknown;
  try {
    doc = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    if (error instanceof RangeError) return { problem: "nested too deeply to be a CDI spec", where: path };
    if (error instanceof YAMLParseError) {
      const pos = error.linePos?.[0];
      return {
        problem: `invalid YAML: ${error.message.split("\n")[0]}`,
        where: pos ? `${path}:${pos.line}:${pos.col}` : path,
      };
    }
    return { problem: `invalid JSON: ${(error as Error).message}`, where: path };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { problem: "not a mapping with cdiVersion, kind and devices", where: path };
  }
  const spec = doc as { cdiVersion?: unknown; kind?: unknown; devices?: unknown; containerEdits?: unknown };
  const version = typeof spec.cdiVersion === "string" ? valid(spec.cdiVersion) : null;
  if (version === null)
    return { problem: `cdiVersion ${describe(spec.cdiVersion)} is not a version`, where: path };
  if (gt(version, "1.1.0"))
    return { problem: `cdiVersion ${version} is newer than Podman knows`, where: path };
  if (typeof spec.kind !== "string" || !KIND.test(spec.kind)) {
    return { problem: `kind ${describe(spec.kind)} is not vendor/class`, where: path };
  }
  if (!Array.isArray(spec.devices) || spec.devices.length === 0)
    return { problem: "no devices", where: path };
  const devices: string[] = [];
  for (const d of spec.devices as { name?: unknown }[]) {
    if (typeof d?.name !== "string" || d.name === "") return { problem: "a device has no name", where: path };
    devices.push(d.name);
  }
  return { path, kind: spec.kind, devices, hostPaths: collectHostPaths(doc) };
}

const MAX_DEPTH = 256;

/**
 * The deepest nesting of [ and {, counted in one linear pass before any parser sees the text.
 * Quotes are not tracked (an apostrophe in a plain YAML scalar would hide what follows): a real
 * spec never comes near the limit, brackets inside strings included.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** A value from the spec, shown safely whatever its type (an object has no safe toString). */
function describe(value: unknown): string {
  if (typeof value === "string") return `"${printable(value)}"`;
  if (value === undefined) return "(missing)";
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  return `(${Array.isArray(value) ? "a list" : "a mapping"})`;
}

/** Every hostPath in the spec; iterative, so a deeply nested spec cannot overflow the stack. */
function collectHostPaths(root: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if (k === "hostPath" && typeof v === "string") out.push(v);
        else if (v && typeof v === "object") stack.push(v);
      }
    }
  }
  return out;
}

async function nvidia(host: import("../src/host/types.js").Host, specs: Spec[]): Promise<Finding[]> {
  const devices = ((await host.listDir("/dev")) ?? []).filter((n) => /^nvidia\d+$/.test(n));
  const versionText = await host.readFile("/proc/driver/nvidia/version");
  const driver = versionText
    ? (/Kernel Module\s+(?:for\s+\S+\s+)?(\d+\.\d+(?:\.\d+)?)/.exec(versionText)?.[1] ?? null)
    : null;
  if (devices.length === 0 && driver === null) return [];
  const gpuSpecs = specs.filter((s) => s.kind === "nvidia.com/gpu");
  const evidence = { gpus: devices.map((d) => `/dev/${d}`), driver };
  if (gpuSpecs.length === 0) {
    return [
      {
        code: "cdi.nvidia-no-spec",
        status: "fail",
        message: `An NVIDIA GPU is present (driver ${driver ?? "unknown"}) but no CDI spec describes it: --device nvidia.com/gpu=all fails.`,
        evidence,
        remedy: `Install nvidia-container-toolkit and run ${REGENERATE}`,
      },
    ];
  }
  if (driver === null) return [];
  const out: Finding[] = [];
  for (const spec of gpuSpecs) {
    const versions = new Set<string>();
    for (const p of spec.hostPaths) {
      const m = /lib(?:cuda|nvidia-[a-z-]+)\.so\.(\d+\.\d+(?:\.\d+)?)$/.exec(p);
      if (m) versions.add(m[1] as string);
    }
    const stale = [...versions].filter((v) => v !== driver);
    if (stale.length > 0) {
      out.push({
        code: "cdi.nvidia-stale",
        status: "fail",
        message: `${spec.path} mounts libraries of driver ${stale.join(", ")} but driver ${driver} is loaded: the spec predates a driver update.`,
        evidence: { ...evidence, spec: spec.path, specDriver: stale },
        remedy: `Regenerate it: ${REGENERATE}`,
      });
    } else {
      out.push({
        code: "cdi.nvidia-ok",
        status: "pass",
        message: `${spec.path} matches the loaded driver ${driver}.`,
        evidence: { ...evidence, spec: spec.path },
      });
    }
  }
  return out;
}
