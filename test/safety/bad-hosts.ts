// Builds malformed host trees: every file podlift reads, in every shape a damaged, hostile or
// unusual host can give it (FIFO, device, folder, symlink loop, dangling link, binary, huge, CRLF,
// terminal escapes, deep nesting, empty, garbage). Each tree is otherwise a plausible host, so the
// bad file is the only thing wrong. Run by test/safety/bad-input.test.ts; also usable by hand:
// `npx tsx test/safety/bad-hosts.ts DIR` is not needed — the test prints the tree of any failure.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

const BASE: Record<string, string> = {
  "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
  "etc/passwd": "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
  "etc/subuid": "alice:100000:65536\n",
  "etc/subgid": "alice:100000:65536\n",
  "etc/containers/registries.conf": 'unqualified-search-registries = ["docker.io"]\n',
  "etc/cdi/vendor.yaml": "cdiVersion: 0.6.0\nkind: vendor.com/dev\ndevices:\n- name: a\n",
  "etc/selinux/config": "SELINUX=disabled\n",
  "proc/sys/kernel/osrelease": "6.1.0-18-amd64\n",
  "proc/sys/user/max_user_namespaces": "28633\n",
  "proc/sys/kernel/unprivileged_userns_clone": "1\n",
  "proc/sys/net/ipv4/ip_unprivileged_port_start": "1024\n",
  "proc/self/mountinfo": "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n",
  "proc/1/comm": "systemd\n",
  "sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n",
};

/** The files that get broken, one at a time. */
export const TARGETS = [
  "etc/os-release",
  "etc/passwd",
  "etc/subuid",
  "etc/subgid",
  "etc/containers/registries.conf",
  "etc/containers/registries.conf.d/50-extra.conf",
  "etc/cdi/vendor.yaml",
  "etc/cdi/other.json",
  "etc/selinux/config",
  "proc/sys/kernel/osrelease",
  "proc/sys/user/max_user_namespaces",
  "proc/sys/kernel/unprivileged_userns_clone",
  "proc/sys/net/ipv4/ip_unprivileged_port_start",
  "proc/self/mountinfo",
  "proc/1/comm",
  "sys/fs/cgroup/cgroup.controllers",
];

type Breaker = (file: string, rel: string) => void;

const ESC = "\u001b]0;owned\u0007\u001b[2J\u001b[31m";

/** Each way to break a file. Names are stable: a failing case names its tree. */
export const BREAKERS: Record<string, Breaker> = {
  fifo: (f) => execFileSync("mkfifo", [f]),
  "char-device": (f) => execFileSync("mknod", [f, "c", "1", "5"]), // /dev/zero: endless bytes
  "block-device": (f) => execFileSync("mknod", [f, "b", "7", "250"]),
  folder: (f) => mkdirSync(f),
  "symlink-loop": (f) => symlinkSync(path.basename(f), f),
  "dangling-link": (f) => symlinkSync("/nonexistent/podlift-target", f),
  "link-to-dev-zero": (f) => symlinkSync("/dev/zero", f),
  binary: (f) => writeFileSync(f, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256))),
  huge: (f) => writeFileSync(f, Buffer.alloc(12 * 1024 * 1024, 0x41)),
  "huge-lines": (f, rel) =>
    writeFileSync(f, Array.from({ length: 200_000 }, (_, i) => lineFor(rel, i)).join("\n")),
  crlf: (f, rel) => writeFileSync(f, (BASE[rel] ?? 'key = "value"\n').replaceAll("\n", "\r\n")),
  escapes: (f, rel) => writeFileSync(f, `${ESC}${(BASE[rel] ?? "x\n").replace(/\n/g, `${ESC}\n`)}`),
  "deep-nesting": (f) => writeFileSync(f, `${"[".repeat(100_000)}${"]".repeat(100_000)}`),
  empty: (f) => writeFileSync(f, ""),
  garbage: (f) => writeFileSync(f, ':::\n\u0000\u0000=\n[[[\n{"a":\nalice:-1:x\n'),
};

function lineFor(rel: string, i: number): string {
  if (rel.endsWith("subuid") || rel.endsWith("subgid"))
    return `u${i % 5000}:${100000 + (i % 700) * 1000}:65536`;
  if (rel.endsWith("passwd")) return `u${i}:x:${1000 + i}:${1000 + i}::/home/u${i}:/bin/sh`;
  if (rel.endsWith("mountinfo")) return `${i} 1 8:1 /x${i} /mnt/x${i} rw shared:${i} - ext4 /dev/sda1 rw`;
  return `KEY_${i}="value ${i}"`;
}

export interface BadHost {
  name: string;
  root: string;
  target: string;
  breaker: string;
}

/** Builds one tree per (target, breaker) under `dir`. */
export function buildBadHosts(dir: string): BadHost[] {
  const hosts: BadHost[] = [];
  for (const target of TARGETS) {
    for (const [breaker, breakIt] of Object.entries(BREAKERS)) {
      // Huge files are costly to write: one per kind of reader is enough.
      if (
        breaker === "huge" &&
        !["etc/subuid", "etc/cdi/vendor.yaml", "proc/self/mountinfo"].includes(target)
      )
        continue;
      const name = `${target.replaceAll("/", "_")}--${breaker}`;
      const root = path.join(dir, name);
      for (const [rel, content] of Object.entries(BASE)) {
        if (rel === target) continue;
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), content);
      }
      const file = path.join(root, target);
      mkdirSync(path.dirname(file), { recursive: true });
      breakIt(file, target);
      hosts.push({ name, root, target, breaker });
    }
  }
  return hosts;
}
