// Plant known secrets everywhere the collectors read, build a bundle, open it with standard tar,
// and assert that no planted value appears anywhere while the context around it survives.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Redactor } from "../../src/text/redact.js";
import { PASSWD, tempHost, USER } from "../helpers.js";

const BIN = path.join(import.meta.dirname, "..", "..", "bin", "podlift.js");
const SECRETS = {
  envToken: "env-token-9f8e7d6c5b",
  dbUrlPassword: "db-pass-314159",
  registryAuth: "YWxpY2U6cmVnaXN0cnktc2VjcmV0LTI3MTgy",
  composePassword: "compose-pw-161803",
  mirrorPassword: "mirror-pw-141421",
  bearer: "bearer-abcdef0123456789",
  privateKeyBody: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
  awsKey: "AKIAIOSFODNN7EXAMPLE",
  custom: "project-phoenix-42",
};

function plantedHost(): { root: string; compose: string } {
  const root = tempHost(
    {
      "etc/passwd": PASSWD,
      "etc/os-release": 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
      "etc/subuid": "bob:200000:65536\nalice:100000:65536\n",
      "etc/subgid": "alice:100000:65536\n",
      "etc/containers/registries.conf": `unqualified-search-registries = ["docker.io"]\n# mirror: https://svc:${SECRETS.mirrorPassword}@mirror.example.com/v2\n`,
      "etc/containers/containers.conf": `[engine]\n# helper key\n-----BEGIN PRIVATE KEY-----\n${SECRETS.privateKeyBody}\n-----END PRIVATE KEY-----\nenv = ["HTTP_HEADER=Authorization: Bearer ${SECRETS.bearer}", "AWS_ID=${SECRETS.awsKey}"]\n`,
      "etc/docker/daemon.json": `{"registry-mirrors": ["https://svc:${SECRETS.mirrorPassword}@mirror.example.com"], "log-driver": "json-file"}\n`,
      "home/alice/.config/containers/auth.json": `{"auths": {"registry.example.com": {"auth": "${SECRETS.registryAuth}"}}}\n`,
      "etc/cdi/notes.yaml": `cdiVersion: 0.6.0\nkind: vendor.com/dev\ndevices: []\n# internal codename ${SECRETS.custom}\n`,
    },
    { user: USER },
  );
  const compose = path.join(root, "compose.yaml");
  writeFileSync(
    compose,
    `services:\n  db:\n    image: docker.io/library/postgres:16\n    environment:\n      POSTGRES_USER: app\n      POSTGRES_PASSWORD: ${SECRETS.composePassword}\n      - DATABASE_URL=postgres://app:${SECRETS.dbUrlPassword}@db:5432/app\n`,
  );
  return { root, compose };
}

function podlift(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

function extract(archive: string): { dir: string; all: string; files: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-bundle-x-"));
  execFileSync("tar", ["-xzf", archive, "-C", dir]);
  const files = execFileSync("find", [dir, "-type", "f"]).toString().trim().split("\n");
  return { dir, all: files.map((f) => readFileSync(f, "latin1")).join("\n"), files };
}

describe("podlift bundle", () => {
  const live = process.getuid?.() === 0;

  it.skipIf(!live)(
    "leaves no planted secret anywhere, keeps the context, and opens with tar -xzf",
    async () => {
      const { root, compose } = plantedHost();
      const out = path.join(mkdtempSync(path.join(os.tmpdir(), "podlift-b-")), "b.tar.gz");
      const r = await podlift(
        [
          "bundle",
          "--root",
          root,
          "--user",
          "alice",
          "--compose",
          compose,
          "--output",
          out,
          "--timeout",
          "3000",
        ],
        {
          MY_API_TOKEN: SECRETS.envToken,
          DATABASE_URL: `postgres://app:${SECRETS.dbUrlPassword}@db/app`,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(out);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const { all, files, dir } = extract(out);
      for (const [name, secret] of Object.entries(SECRETS)) {
        if (name === "custom") continue; // only with --redact-rules
        expect(all, `${name} leaked`).not.toContain(secret);
      }
      for (const context of [
        "registry.example.com",
        "POSTGRES_PASSWORD",
        "MY_API_TOKEN=[REDACTED]",
        "mirror.example.com",
        "auths",
        "alice:100000:65536",
      ]) {
        expect(all).toContain(context);
      }
      expect(all).not.toContain("bob:200000"); // only the target user's subuid lines
      const manifestFile = files.find((f) => f.endsWith("/manifest.json")) as string;
      const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
      for (const f of manifest.files) {
        const file = path.join(path.dirname(manifestFile), f.file);
        expect(createHash("sha256").update(readFileSync(file)).digest("hex"), f.file).toBe(f.sha256);
      }
      expect(manifest.redactions["secret-assignment"]).toBeGreaterThan(0);
      expect(manifest.redactions["private-key"]).toBe(1);
      // Commands run through chroot into a root without binaries: recorded, and the bundle is made anyway.
      expect(
        manifest.missing.some((m: { collector: string }) => m.collector === "podman/rootful/info.json"),
      ).toBe(true);
      expect(readdirSync(dir)).toHaveLength(1);
    },
  );

  it.skipIf(!live)(
    "custom rules, re-redaction of an existing bundle, and obfuscation with a mapping kept outside",
    async () => {
      const { root } = plantedHost();
      const work = mkdtempSync(path.join(os.tmpdir(), "podlift-b-"));
      const first = path.join(work, "first.tar.gz");
      await podlift(["bundle", "--root", root, "--user", "alice", "--output", first, "--timeout", "3000"]);
      expect(extract(first).all).toContain(SECRETS.custom);
      const rules = path.join(work, "rules.json");
      writeFileSync(rules, JSON.stringify({ literals: [SECRETS.custom], patterns: ["codename \\S+"] }));
      const again = await podlift(["bundle", "--redact-only", first, "--redact-rules", rules]);
      expect(again.code, again.stderr).toBe(0);
      const second = again.stdout.trim();
      expect(second).toBe(path.join(work, "first-redacted.tar.gz"));
      expect(extract(second).all).not.toContain(SECRETS.custom);
      const obf = path.join(work, "obf.tar.gz");
      await podlift([
        "bundle",
        "--root",
        root,
        "--user",
        "alice",
        "--output",
        obf,
        "--obfuscate",
        "--timeout",
        "3000",
      ]);
      const mapping = JSON.parse(readFileSync(`${obf}.mapping.json`, "utf8"));
      expect(statSync(`${obf}.mapping.json`).mode & 0o777).toBe(0o600);
      expect(mapping.alice).toBe("user-1");
      const { all } = extract(obf);
      expect(all).not.toMatch(/\balice\b/);
      expect(all).toContain("user-1:100000:65536");
    },
  );

  it.skipIf(!live)(
    "a collector that hangs is cut at its timeout and recorded; the bundle is still written",
    async () => {
      const bin = mkdtempSync(path.join(os.tmpdir(), "podlift-fakebin-"));
      writeFileSync(path.join(bin, "podman"), "#!/bin/sh\nexec sleep 600\n");
      chmodSync(path.join(bin, "podman"), 0o755);
      const out = path.join(bin, "b.tar.gz");
      const started = Date.now();
      const r = await podlift(["bundle", "--output", out, "--timeout", "1000"], {
        PATH: `${bin}:${process.env.PATH}`,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(60000);
      const { files } = extract(out);
      const manifest = JSON.parse(
        readFileSync(files.find((f) => f.endsWith("manifest.json")) as string, "utf8"),
      );
      expect(manifest.missing).toContainEqual(
        expect.objectContaining({ collector: "podman/rootful/info.json", error: "timed out after 1000 ms" }),
      );
    },
  );

  it.skipIf(!live)(
    "for a live throwaway user: the registry login in their auth.json never reaches the bundle",
    async () => {
      const { createUser, removeUser } = await import("../integration/live.js");
      const name = "podlift-t-bundle";
      createUser(name);
      try {
        const dir = `/home/${name}/.config/containers`;
        execFileSync("mkdir", ["-p", dir]);
        writeFileSync(`${dir}/auth.json`, `{"auths": {"quay.io": {"auth": "${SECRETS.registryAuth}"}}}\n`);
        execFileSync("chown", ["-R", `${name}:${name}`, `/home/${name}/.config`]);
        const out = path.join(mkdtempSync(path.join(os.tmpdir(), "podlift-b-")), "live.tar.gz");
        const r = await podlift(["bundle", "--user", name, "--output", out, "--timeout", "10000"], {
          PODLIFT_PLANTED: `password=${SECRETS.envToken}`,
        });
        expect(r.code, r.stderr).toBe(0);
        const { all } = extract(out);
        expect(all).toContain("quay.io");
        expect(all).not.toContain(SECRETS.registryAuth);
        expect(all).not.toContain(SECRETS.envToken);
        expect(all).toContain(`${name}:`); // the user's subuid lines
        // The machine, from systeminformation: real figures, no serial number or UUID.
        const system = extract(out).files.find((f) => f.endsWith("host/system.json")) as string;
        const machine = JSON.parse(readFileSync(system, "utf8"));
        expect(machine.memory.total).toBeGreaterThan(0);
        expect(machine.cpu.cores).toBeGreaterThan(0);
        expect(JSON.stringify(machine)).not.toMatch(/serial|uuid/i);
      } finally {
        removeUser(name);
      }
    },
    120000,
  );

  it("rejects a rules file with a broken pattern, without a stack trace", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "podlift-r-")), "r.json");
    writeFileSync(file, JSON.stringify({ patterns: ["(unclosed"] }));
    const r = await podlift(["bundle", "--redact-only", "/nonexistent.tar.gz", "--redact-rules", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a valid regular expression");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("Redactor", () => {
  it("counts per rule and keeps addresses consistent under obfuscation", () => {
    const r = new Redactor({ obfuscate: { hostnames: ["db01.corp.example"], users: ["alice"] } });
    const { text, counts } = r.text(
      "alice@db01.corp.example 10.1.2.3 -> 10.1.2.3, 10.9.9.9 at 02:30:03 mac 52:54:00:12:34:56 token=abc",
    );
    expect(text).toBe("user-1@host-1 ip-1 -> ip-1, ip-2 at 02:30:03 mac mac-1 token=[REDACTED]");
    expect(counts).toMatchObject({ "obfuscate-ipv4": 3, "secret-assignment": 1 });
    expect(r.mapping.get("10.9.9.9")).toBe("ip-2");
  });
});
