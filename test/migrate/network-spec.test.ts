// Docker networks as podman network create arguments, what cannot move, and comparison.
import { describe, expect, it } from "vitest";
import type { DockerNetwork } from "../../src/migrate/docker.js";
import {
  cidrRange,
  createArgs,
  inCidr,
  networkDifferences,
  planNetwork,
  specOfPodman,
  subnetHolders,
} from "../../src/migrate/network-spec.js";

const net = (over: Partial<DockerNetwork> = {}): DockerNetwork => ({
  Name: "web",
  Id: "1",
  Driver: "bridge",
  Scope: "local",
  EnableIPv6: false,
  Internal: false,
  IPAM: { Driver: "default", Options: {}, Config: [] },
  Options: {},
  Labels: {},
  ...over,
});

describe("planNetwork", () => {
  it("carries subnet, gateway, range, internal, labels and mtu as an argument array", () => {
    const p = planNetwork(
      net({
        Internal: true,
        Labels: { team: "web", "com.docker.compose.project": "shop" },
        Options: { "com.docker.network.driver.mtu": "1400" },
        IPAM: {
          Driver: "default",
          Options: {},
          Config: [{ Subnet: "10.77.0.0/16", Gateway: "10.77.0.254", IPRange: "10.77.3.0/24" }],
        },
      }),
      "netavark",
      "4.3.1",
    );
    expect(p.problem).toBeNull();
    expect(p.findings).toEqual([]);
    expect(p.args).toEqual([
      "network",
      "create",
      "--driver",
      "bridge",
      "--subnet",
      "10.77.0.0/16",
      "--gateway",
      "10.77.0.254",
      "--ip-range",
      "10.77.3.0/24",
      "--internal",
      "--label",
      "com.docker.compose.project=shop",
      "--label",
      "team=web",
      "--opt",
      "mtu=1400",
      "--",
      "web",
    ]);
  });

  it("turns options Podman lacks into findings, and Docker's defaults into nothing", () => {
    const p = planNetwork(
      net({
        Options: {
          "com.docker.network.bridge.name": "br-web",
          "com.docker.network.bridge.enable_icc": "false",
          "com.docker.network.bridge.enable_ip_masquerade": "true",
          "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
          "com.example.custom": "x",
        },
      }),
      "netavark",
      "4.3.1",
    );
    expect(p.findings.map((f) => f.option)).toEqual([
      "com.docker.network.bridge.name",
      "com.docker.network.bridge.enable_icc",
      "com.example.custom",
    ]);
    expect(p.findings.every((f) => f.message.startsWith("not carried over"))).toBe(true);
    expect(p.args).not.toContain("--opt");
  });

  it("maps macvlan parent and mode", () => {
    const p = planNetwork(
      net({
        Driver: "macvlan",
        Options: { parent: "eth0", macvlan_mode: "private" },
        IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: "192.168.50.0/24" }] },
      }),
      "netavark",
      "4.3.1",
    );
    expect(p.args.join(" ")).toContain(
      "--driver macvlan --subnet 192.168.50.0/24 --opt parent=eth0 --opt mode=private",
    );
  });

  it.each([
    [net({ Name: "bridge" }), "built-in"],
    [net({ Name: "host", Driver: "host" }), "built-in"],
    [net({ Name: "none", Driver: "null" }), "built-in"],
    [net({ Driver: "overlay", Scope: "swarm" }), "swarm"],
    [net({ Driver: "weave" }), "driver weave has no Podman equivalent"],
    [net({ Driver: "ipvlan", Options: { parent: "eth0" } }), "no ipvlan driver"],
  ])("never copies %#", (n, why) => {
    const p = planNetwork(n, "netavark", "4.3.1");
    expect(p.problem).toContain(why);
    expect(p.args).toEqual([]);
  });

  it("creates ipvlan with the CNI backend", () => {
    expect(
      planNetwork(net({ Driver: "ipvlan", Options: { ipvlan_mode: "l3" } }), "cni", "4.3.1").problem,
    ).toBeNull();
  });

  it("orders subnets so gateways pair with their subnet, and refuses what cannot pair", () => {
    const p = planNetwork(
      net({
        EnableIPv6: true,
        IPAM: {
          Driver: "default",
          Options: {},
          Config: [{ Subnet: "fd00:1::/64" }, { Subnet: "10.1.0.0/24", Gateway: "10.1.0.1" }],
        },
      }),
      "netavark",
      "4.3.1",
    );
    expect(p.args.slice(3, 10)).toEqual([
      "bridge",
      "--subnet",
      "10.1.0.0/24",
      "--subnet",
      "fd00:1::/64",
      "--gateway",
      "10.1.0.1",
    ]);
    expect(p.args).toContain("--ipv6");
    const gapped = planNetwork(
      net({
        IPAM: {
          Driver: "default",
          Options: {},
          Config: [
            { Subnet: "10.1.0.0/24", IPRange: "10.1.0.128/25" },
            { Subnet: "10.2.0.0/24", Gateway: "10.2.0.1" },
          ],
        },
      }),
      "netavark",
      "4.3.1",
    );
    expect(gapped.problem).toContain("pairs them by position");
  });

  it("reports auxiliary addresses and IPAM options", () => {
    const p = planNetwork(
      net({
        IPAM: {
          Driver: "default",
          Options: { foo: "bar" },
          Config: [{ Subnet: "10.1.0.0/24", AuxiliaryAddresses: { router: "10.1.0.5" } }],
        },
      }),
      "netavark",
      "4.3.1",
    );
    expect(p.findings.map((f) => f.option)).toEqual([
      "IPAM.Options.foo",
      "IPAM.Config.AuxiliaryAddresses.router",
    ]);
  });
});

describe("addresses", () => {
  it("turns a range into what Podman stores", () => {
    expect(cidrRange("10.99.5.0/24")).toEqual({ start: "10.99.5.1", end: "10.99.5.255" });
    expect(cidrRange("fd00:99::/120")).toEqual({ start: "fd00:99::1", end: "fd00:99::ff" });
    expect(cidrRange("nonsense")).toBeNull();
  });
  it("finds host interfaces in a subnet", () => {
    expect(inCidr("10.77.0.254", "10.77.0.0/16")).toBe(true);
    expect(inCidr("10.78.0.1", "10.77.0.0/16")).toBe(false);
    expect(inCidr("fd00:77::1", "10.77.0.0/16")).toBe(false);
    const spec = planNetwork(
      net({ IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: "10.77.0.0/16" }] } }),
      "netavark",
      "4.3.1",
    ).spec;
    expect(
      subnetHolders(spec, [
        { ifname: "br-1", address: "10.77.0.1" },
        { ifname: "eth0", address: "192.0.2.2" },
      ]),
    ).toEqual(["br-1 (10.77.0.1)"]);
  });
});

describe("comparison with an existing Podman network", () => {
  const docker = net({
    Internal: true,
    Labels: { team: "web" },
    IPAM: {
      Driver: "default",
      Options: {},
      Config: [{ Subnet: "10.77.0.0/16", Gateway: "10.77.0.254", IPRange: "10.77.3.0/24" }],
    },
  });
  const podman = {
    driver: "bridge",
    network_interface: "podman1",
    subnets: [
      {
        subnet: "10.77.0.0/16",
        gateway: "10.77.0.254",
        lease_range: { start_ip: "10.77.3.1", end_ip: "10.77.3.255" },
      },
    ],
    internal: true,
    ipv6_enabled: false,
    labels: { team: "web" },
    options: {},
  };
  const wanted = planNetwork(docker, "netavark", "4.3.1").spec;

  it("is equal to what podman network create made of the arguments", () => {
    expect(networkDifferences(wanted, specOfPodman(podman))).toEqual([]);
  });
  it("names each difference", () => {
    const have = specOfPodman({
      ...podman,
      internal: false,
      labels: { team: "db" },
      subnets: [{ subnet: "10.77.0.0/16", gateway: "10.77.0.1" }],
    });
    expect(networkDifferences(wanted, have)).toEqual([
      "gateway 10.77.0.1 in 10.77.0.0/16, Docker's is 10.77.0.254",
      "IP range none in 10.77.0.0/16, Docker's is 10.77.3.1-10.77.3.255",
      "internal false, Docker's is true",
      "label team=db, Docker's is web",
    ]);
  });
  it("keeps createArgs stable for a spec built by hand", () => {
    expect(
      createArgs("x", {
        driver: "bridge",
        subnets: [],
        internal: false,
        ipv6: false,
        labels: {},
        options: {},
      }),
    ).toEqual(["network", "create", "--driver", "bridge", "--", "x"]);
  });
});
