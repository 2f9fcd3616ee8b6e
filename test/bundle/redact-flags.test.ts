// Issue 10 item 20: a secret passed as the element after a flag (`command: ["--token", "x"]`,
// `--password x` in a container's argv) must not reach a support bundle. Secrets are planted in a
// generated compose file and in the argv arrays of generated engine output; the bundle is built
// through the real collectors and writer, opened with tar, and searched for every planted value.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { collectAll, entriesFrom, writeBundle } from "../../src/bundle/bundle.js";
import { collectors } from "../../src/bundle/collectors.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { BUILT_IN, Redactor, redactText } from "../../src/text/redact.js";
import { PASSWD, tempHost, USER } from "../helpers.js";

const flagCount = (text: string) => new Redactor().text(text).counts["secret-flag"] ?? 0;

describe("secret flags", () => {
  it.each([
    ["a compose flow list", `command: ["serve", "--token", "s3cret-a1", "--port", "80"]`, 1],
    ["a bare YAML flow list", "command: [--auth, s3cret-a2, --port, 80]", 1],
    ["a YAML block list", "entrypoint:\n  - /app\n  - --api-key\n  - s3cret-a3\n  - -v\n", 1],
    ["a quoted YAML block list", `command:\n  - "--db-password"\n  - "s3cret a4"\n`, 1],
    ["pretty JSON (docker inspect Args)", `"Args": [\n    "--password",\n    "s3cret-a5"\n],`, 1],
    ["a command line", "myapp --token s3cret-a6 --port 80", 1],
    ["a command line in a JSON string", `"Command": "myapp --client-secret \\"s3cret a7\\" -v"`, 1],
    ["single-dash and compound names", "-token s3cret-a8 --apikey s3cret-a9 --secret-key s3cret-b1", 3],
    [
      "credentials, pass, passwd, auth-token",
      "--credentials s3cret-b2 --pass s3cret-b3 --passwd s3cret-b4 --AUTH-TOKEN s3cret-b5",
      4,
    ],
  ])("redacts the value after a secret flag in %s", (_, text, n) => {
    const out = redactText(text);
    for (const secret of text.match(/s3cret[ -][a-z0-9]+/g) ?? []) expect(out).not.toContain(secret);
    expect(out).toContain("[REDACTED]");
    expect(flagCount(text)).toBe(n);
  });

  it("keeps the quotes and the flag, so lists and JSON stay well formed", () => {
    expect(redactText(`["--token", "x1"]`)).toBe(`["--token", "[REDACTED]"]`);
    const json = JSON.stringify({ Args: ["--password", 'p"w 2'], Cmd: "app --token 'x y' --v" }, null, 2);
    const redacted = redactText(json);
    expect(JSON.parse(redacted)).toEqual({
      Args: ["--password", "[REDACTED]"],
      Cmd: "app --token '[REDACTED]' --v",
    });
  });

  it("leaves flags that only look alike, flags naming where the secret is, and the next flag", () => {
    const text =
      "app --keyboard us --author ann --bypass cache --monkey banana --no-auth serve --password-file /run/secrets/db --token-ttl 60 --token --port 80";
    expect(redactText(text)).toBe(text);
    expect(flagCount(text)).toBe(0);
  });

  it("leaves --password=value to secret-assignment, counted once", () => {
    const r = new Redactor().text("app --password=s3cret-c1 --token s3cret-c2");
    expect(r.text).toBe("app --password=[REDACTED] --token [REDACTED]");
    expect(r.counts).toEqual({ "secret-assignment": 1, "secret-flag": 1 });
  });

  it("every built-in rule takes linear time on long runs of name characters and flags", () => {
    const inputs = [
      ` -${"a-".repeat(200000)}`,
      ` ${"token-".repeat(60000)}`,
      ` ${"--token-".repeat(50000)}`,
      " --password".repeat(40000),
      ` a://${"b:".repeat(200000)}`,
      `${Array.from({ length: 20000 }, (_, i) => `l${i} -a-b-c --port ${i} "--verbose", "x" - item`).join("\n")}\n`,
    ];
    for (const text of inputs) {
      for (const rule of BUILT_IN) {
        const started = performance.now();
        text.replace(rule.pattern, "");
        // Quadratic rules took minutes on these (400 KB); linear ones take milliseconds.
        expect(performance.now() - started, `${rule.name} on ${text.slice(0, 20)}…`).toBeLessThan(2000);
      }
    }
  });
});

const SECRETS = {
  composeFlow: "cmp-flow-tok-1111",
  composeBlock: "cmp-block-key-2222",
  composeBlockQuoted: "cmp block pw 3333",
  composeString: "cmp-str-4444",
  composeBare: "cmp-bare-5555",
  podmanArgv: "ps-tok-6666",
  dockerArgv: "dk-pw-7777",
  dockerAssignment: "dk-eq-8888",
};

describe("support bundle with secrets after flags", () => {
  it("writes none of them, and counts each in the manifest", async () => {
    const root = tempHost({ "etc/passwd": PASSWD }, { user: USER });
    const work = mkdtempSync(path.join(os.tmpdir(), "podlift-redact-flags-"));
    const compose = path.join(work, "compose.yaml");
    writeFileSync(
      compose,
      [
        "services:",
        "  api:",
        "    image: example/api",
        `    command: ["serve", "--token", "${SECRETS.composeFlow}", "--port", "8080"]`,
        "  worker:",
        "    image: example/worker",
        "    entrypoint:",
        "      - /usr/bin/worker",
        "      - --api-key",
        `      - ${SECRETS.composeBlock}`,
        `      - "--db-password"`,
        `      - "${SECRETS.composeBlockQuoted}"`,
        "  cron:",
        "    image: example/cron",
        `    command: cron --client-secret ${SECRETS.composeString} --keyboard us`,
        "  plain:",
        "    image: example/plain",
        `    command: [--auth, ${SECRETS.composeBare}]`,
        "",
      ].join("\n"),
    );
    const podmanPs = JSON.stringify(
      [
        {
          Id: "0123abcd",
          Names: ["api"],
          Command: ["serve", "--token", SECRETS.podmanArgv],
          State: "running",
        },
      ],
      null,
      2,
    );
    const dockerPs = [
      "CONTAINER ID   IMAGE         COMMAND                                                    STATUS",
      `0123abcd4567   example/api   "myapp --password ${SECRETS.dockerArgv} --port 80"          Up 2 hours`,
      `89abcdef0123   example/old   "old --password=${SECRETS.dockerAssignment}"               Exited (0)`,
    ].join("\n");
    const host = new FixtureHost(root, {
      user: USER,
      commands: [
        { argv: ["podman", "ps", "--all", "--format", "json"], user: USER.name, stdout: `${podmanPs}\n` },
        { argv: ["docker", "-H", "unix:///run/docker.sock", "ps", "--all"], stdout: `${dockerPs}\n` },
      ],
    });
    const list = collectors({
      host,
      user: USER,
      compose: [compose],
      dockerHost: "unix:///run/docker.sock",
      timeoutMs: 2000,
    });
    const { entries, missing } = entriesFrom(await collectAll(host, list));
    const out = path.join(work, "bundle.tar.gz");
    const manifest = await writeBundle(out, "b", entries, missing, new Redactor(), "podlift test");

    execFileSync("tar", ["-xzf", out, "-C", work]);
    const files = execFileSync("find", [path.join(work, "b"), "-type", "f"])
      .toString()
      .trim()
      .split("\n");
    const all = files.map((f) => readFileSync(f, "utf8")).join("\n");
    expect(all).toContain("--token"); // the flags and their context stay
    expect(all).toContain("--keyboard us");
    expect(all).toContain("example/api");
    for (const [name, secret] of Object.entries(SECRETS)) expect(all, `${name} leaked`).not.toContain(secret);

    const redactions = (file: string) => manifest.files.find((f) => f.file === file)?.redactions;
    expect(redactions("compose/1-compose.yaml")).toEqual({ "secret-flag": 5 });
    expect(redactions("podman/rootless/containers.json")).toEqual({ "secret-flag": 1 });
    expect(redactions("docker/containers.txt")).toEqual({ "secret-flag": 1, "secret-assignment": 1 });
    expect(manifest.redactions["secret-flag"]).toBe(7);
  });
});
