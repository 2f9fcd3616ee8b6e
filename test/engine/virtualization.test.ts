// The virtualization fact, read from the host's files the way systemd-detect-virt reads them.
import { describe, expect, it } from "vitest";
import { virtualizationOf } from "../../src/doctor/facts.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { tempHost } from "../helpers.js";

const on = (files: Record<string, string>) => virtualizationOf(new FixtureHost(tempHost(files)));
const cpu = (flags: string) => `processor\t: 0\nflags\t\t: fpu vme ${flags} sse\n\n`;

describe("virtualizationOf", () => {
  it("names the container engine from its marker file, before any hypervisor", async () => {
    expect(await on({ ".dockerenv": "", "proc/cpuinfo": cpu("hypervisor") })).toBe("docker");
    expect(await on({ "run/.containerenv": "engine=podman\n" })).toBe("podman");
    expect(await on({ "proc/1/environ": "PATH=/bin\0container=lxc\0" })).toBe("lxc");
  });

  it("names the hypervisor from DMI vendor strings", async () => {
    expect(await on({ "sys/class/dmi/id/sys_vendor": "QEMU\n" })).toBe("qemu");
    expect(await on({ "sys/class/dmi/id/product_name": "KVM\n" })).toBe("kvm");
    expect(await on({ "sys/class/dmi/id/sys_vendor": "VMware, Inc.\n" })).toBe("vmware");
    expect(
      await on({
        "sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n",
        "sys/class/dmi/id/product_name": "Virtual Machine\n",
      }),
    ).toBe("microsoft");
  });

  it("falls back to the CPU's hypervisor flag, and says none on bare metal", async () => {
    expect(await on({ "proc/cpuinfo": cpu("hypervisor") })).toBe("virtual machine");
    expect(await on({ "proc/cpuinfo": cpu("vmx"), "sys/class/dmi/id/sys_vendor": "Dell Inc.\n" })).toBeNull();
    expect(await on({})).toBeNull();
  });

  it("keeps control characters out of a name it reads", async () => {
    const name = await on({ "proc/1/environ": "container=\u001b[31mevil\0" });
    expect(name).not.toContain("\u001b");
  });
});
