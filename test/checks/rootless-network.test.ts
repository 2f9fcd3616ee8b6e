import { describe, expect, it } from "vitest";
import { check } from "../../checks/rootless-network.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const TUN = { "/dev/net/tun": { type: "char" as const, mode: 0o666 } };

describe("rootless-network", () => {
  it("passes netavark with pasta on Podman 5", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.codes).toEqual(["network.backend-ok", "network.helper-ok"]);
    expect(r.find("network.helper-ok").message).toContain("pasta");
  });

  it("warns about CNI, and uses slirp4netns on Podman 3", async () => {
    const r = await runOn(check, "debian-11-userns-off");
    expect(r.codes).toEqual(["network.cni", "network.helper-ok"]);
    expect(r.find("network.helper-ok").message).toContain("slirp4netns");
  });

  it("fails with no helper at all", async () => {
    const r = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD, "dev/net/tun": "" },
        {
          user: USER,
          stat: TUN,
          commands: [{ argv: ["podman", "--version"], stdout: "podman version 5.0.0\n" }],
        },
      ),
    );
    expect(r.find("network.no-helper").remedy).toContain("passt");
  });

  it("fails a /dev/net/tun the user cannot open (seen on this project's CI machine: mode 0600)", async () => {
    const r = await runOn(
      check,
      tempHost(
        { "etc/passwd": PASSWD, "usr/bin/slirp4netns": "", "dev/net/tun": "" },
        { user: USER, stat: { "/dev/net/tun": { type: "char", mode: 0o600 } } },
      ),
    );
    expect(r.find("network.tun-unusable").evidence).toMatchObject({ mode: "600" });
    const absent = await runOn(
      check,
      tempHost({ "etc/passwd": PASSWD, "usr/bin/slirp4netns": "" }, { user: USER }),
    );
    expect(absent.find("network.tun-unusable").message).toContain("does not exist");
  });
});
