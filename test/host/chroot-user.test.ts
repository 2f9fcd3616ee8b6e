// Under --root, commands run in the mounted root through chroot, and a command for another
// user runs as that user inside it: chroot switches user after entering the root (chroot(2)
// needs root, so starting chroot as the user would fail with EPERM).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveHost } from "../../src/host/live-host.js";

const asRoot = process.getuid?.() === 0;
let root: string;

/** A root holding /usr/bin/id and its libraries, and one user of its own (not in the host's passwd). */
function tinyRoot(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "podlift-chroot-"));
  chmodSync(dir, 0o755); // a host's / is 0755: mkdtemp's 0700 would keep the user out
  const libs = [
    ...execFileSync("ldd", ["/usr/bin/id"])
      .toString()
      .matchAll(/(\/\S+)\s+\(0x/g),
  ].map((m) => m[1] as string);
  for (const file of ["/usr/bin/id", ...libs]) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    copyFileSync(file, path.join(dir, file));
  }
  mkdirSync(path.join(dir, "etc"));
  writeFileSync(
    path.join(dir, "etc", "passwd"),
    "root:x:0:0::/root:/bin/sh\nplchroot:x:4242:4343::/:/bin/sh\n",
  );
  writeFileSync(path.join(dir, "etc", "group"), "root:x:0:\nplchroot:x:4343:\nextra:x:4444:plchroot\n");
  return dir;
}

describe.skipIf(!asRoot)("commands under --root for another user", () => {
  beforeAll(() => {
    root = tinyRoot();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("run as that user inside the root, with the root's groups for it", async () => {
    const host = new LiveHost(root);
    const r = await host.run(["id"], { user: "plchroot", timeoutMs: 10000 });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      /^uid=4242\(plchroot\) gid=4343\(plchroot\) groups=4343\(plchroot\),4444\(extra\)/,
    );
    // As root (no user given), the command runs as root in the same root.
    expect((await host.run(["id", "-u"], { timeoutMs: 10000 })).stdout).toBe("0\n");
  });

  it("streams as that user too", async () => {
    const host = new LiveHost(root);
    const s = host.spawn(["id", "-u"], { user: "plchroot" });
    s.stdin.end();
    const chunks: Buffer[] = [];
    s.stdout.on("data", (c: Buffer) => chunks.push(c));
    const r = await s.result;
    expect(r.exitCode).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe("4242\n");
  });

  it("an unknown user is refused without starting anything", async () => {
    const r = await new LiveHost(root).run(["id"], { user: "nobody-here", timeoutMs: 10000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/no such user: nobody-here/);
  });
});
