// podman-facts: Podman's version is read from the `podman info` already asked for (one podman
// process fewer in a doctor run), and asked of `podman --version` when that info fails or is late.
import { describe, expect, it } from "vitest";
import { podmanFacts, VERSION_FROM_INFO_WAIT_MS } from "../../src/doctor/podman-facts.js";
import { FixtureHost } from "../../src/host/fixture-host.js";
import { PASSWD, tempHost, USER } from "../helpers.js";

const INFO = ["podman", "info", "--format", "json"];
const VERSION = ["podman", "--version"];
const infoJson = (version: string) => JSON.stringify({ version: { Version: version, APIVersion: version } });

function host(commands: { argv: string[]; stdout?: string; exitCode?: number; hang?: boolean }[]) {
  return new FixtureHost(tempHost({ "etc/passwd": PASSWD }, { user: USER, commands }));
}
const versionCalls = (h: FixtureHost) => h.calls.filter((c) => c.argv.join(" ") === VERSION.join(" ")).length;

describe("podman facts: version", () => {
  it("is the version `podman info` gave when info was asked first; `podman --version` is not run", async () => {
    const h = host([
      { argv: INFO, stdout: infoJson("5.4.2") },
      { argv: VERSION, stdout: "podman version 9.9.9\n" },
    ]);
    const podman = podmanFacts(h);
    void podman.info(USER);
    expect(await podman.version()).toBe("5.4.2");
    expect(versionCalls(h)).toBe(0);
  });

  it("asks `podman --version` when info fails, prints no version, or was never asked for", async () => {
    const failing = host([
      { argv: INFO, exitCode: 125 },
      { argv: VERSION, stdout: "podman version 4.3.1\n" },
    ]);
    const a = podmanFacts(failing);
    void a.info(USER);
    expect(await a.version()).toBe("4.3.1");
    expect(versionCalls(failing)).toBe(1);

    const odd = host([
      { argv: INFO, stdout: JSON.stringify({ version: { Version: "banana" } }) },
      { argv: VERSION, stdout: "podman version 4.3.1\n" },
    ]);
    const b = podmanFacts(odd);
    void b.info(USER);
    expect(await b.version()).toBe("4.3.1");

    const never = host([{ argv: VERSION, stdout: "podman version 5.0.0\n" }]);
    expect(await podmanFacts(never).version()).toBe("5.0.0");
  });

  it("is null when podman is not installed, whether info was asked or not", async () => {
    const none = podmanFacts(host([]));
    void none.info(USER);
    expect(await none.version()).toBeNull();
    expect(await podmanFacts(host([])).version()).toBeNull();
  });

  it(`does not wait on an info that hangs: after ${VERSION_FROM_INFO_WAIT_MS} ms it asks podman --version`, async () => {
    const h = host([
      { argv: INFO, hang: true },
      { argv: VERSION, stdout: "podman version 5.1.0\n" },
    ]);
    const podman = podmanFacts(h);
    void podman.info(USER);
    const started = performance.now();
    expect(await podman.version()).toBe("5.1.0");
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(VERSION_FROM_INFO_WAIT_MS - 50);
    expect(waited).toBeLessThan(5000); // not the info's own 6 s deadline
  }, 15000);
});
