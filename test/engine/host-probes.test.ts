// The host reads checks and compose rules share happen once per fact gathering: the doctor's
// checks and the compose facts read the port start, SELinux and providers through facts.probes.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { check as selinux } from "../../checks/selinux-mode.js";
import { check as ports } from "../../checks/unprivileged-ports.js";
import { gatherFacts } from "../../src/doctor/facts.js";
import { FixtureHost } from "../../src/host/fixture-host.js";

const HOSTS = path.join(import.meta.dirname, "..", "fixtures", "hosts");

function counting(root: string) {
  const host = new FixtureHost(path.join(HOSTS, root));
  const calls: string[] = [];
  const readSysctl = host.readSysctl.bind(host);
  const readFile = host.readFile.bind(host);
  host.readSysctl = async (name: string) => {
    calls.push(`sysctl ${name}`);
    return readSysctl(name);
  };
  host.readFile = async (file: string) => {
    calls.push(`read ${file}`);
    return readFile(file);
  };
  return { host, calls };
}

describe("shared host probes", () => {
  it("two checks and a later reader share one read of each value", async () => {
    const { host, calls } = counting("rhel-9-selinux");
    const facts = await gatherFacts(host, { user: "app", ports: [80] });
    const signal = new AbortController().signal;
    await Promise.all([ports.run({ host, facts, signal }), selinux.run({ host, facts, signal })]);
    expect(await facts.probes.portStart()).toMatchObject({ start: expect.any(Number) });
    expect(await facts.probes.selinuxEnforce()).not.toBeUndefined();
    expect(calls.filter((c) => c === "sysctl net.ipv4.ip_unprivileged_port_start")).toHaveLength(1);
    expect(calls.filter((c) => c === "read /sys/fs/selinux/enforce")).toHaveLength(1);
  });

  it("a fresh gathering reads again (a fix's verification sees the changed host)", async () => {
    const { host, calls } = counting("rhel-9-selinux");
    await (await gatherFacts(host, { user: "app" })).probes.portStart();
    await (await gatherFacts(host, { user: "app" })).probes.portStart();
    expect(calls.filter((c) => c.startsWith("sysctl"))).toHaveLength(2);
  });
});
