import { describe, expect, it } from "vitest";
import { check } from "../../checks/unprivileged-ports.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const host = (value: string | null) =>
  tempHost(
    {
      "etc/passwd": PASSWD,
      ...(value === null ? {} : { "proc/sys/net/ipv4/ip_unprivileged_port_start": value }),
    },
    { user: USER },
  );

describe("unprivileged-ports", () => {
  it("fails the compose file's ports 80 and 443 under the default 1024, naming the compose lines", async () => {
    const r = await runOn(check, "rhel-9-selinux", { compose: "/_inputs/compose.yaml" });
    expect(r.status).toBe("fail");
    const f = r.find("ports.privileged");
    expect(f.evidence?.blocked).toEqual([80, 443]);
    expect(f.evidence?.composeLines).toEqual([
      "/_inputs/compose.yaml:5 (web: 80/tcp)",
      "/_inputs/compose.yaml:6 (web: 443/tcp)",
    ]);
    expect(f.remedy).toContain("net.ipv4.ip_unprivileged_port_start=80");
  });

  it("passes when the sysctl already allows the lowest port", async () => {
    const r = await runOn(check, host("80\n"), { ports: [80, 443] });
    expect(r.codes).toEqual(["ports.ok"]);
  });

  it("treats a kernel without the sysctl as the classic 1024 rule", async () => {
    const r = await runOn(check, host(null), { ports: [443] });
    expect(r.find("ports.privileged").evidence?.value).toBeNull();
  });

  it("reads a garbage value as the default instead of crashing", async () => {
    const r = await runOn(check, host("not-a-number"), { ports: [8080, 22] });
    expect(r.find("ports.privileged").evidence?.blocked).toEqual([22]);
  });

  it("passes with no ports requested, saying where binds start", async () => {
    const r = await runOn(check, host("1024\n"));
    expect(r.find("ports.none-requested").message).toContain("from 1024 up");
  });

  it("is skipped for rootful Podman", async () => {
    const r = await runOn(check, tempHost({ "etc/passwd": PASSWD }), { ports: [80] });
    expect(r.status).toBe("skip");
  });
});
