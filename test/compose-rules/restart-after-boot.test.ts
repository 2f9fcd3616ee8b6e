import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/restart-after-boot.js";
import { editCompose } from "../../src/compose-check/edits.js";
import type { HostContext } from "../../src/compose-check/types.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

// A Nextcloud-style app: every long-running service asks to come back, the one-shot does not.
const TEXT = yaml(
  "services:",
  "  app:",
  "    image: docker.io/library/nextcloud:29-apache",
  "    restart: always",
  '    ports: ["8080:80"]',
  "  db:",
  "    image: docker.io/library/mariadb:11.4",
  "    restart: unless-stopped",
  "  cron:",
  "    image: docker.io/library/nextcloud:29-apache",
  '    restart: "on-failure:3"',
  "  migrate:",
  "    image: docker.io/library/nextcloud:29-apache",
  '    restart: "no"',
);

const LINGERS: HostContext = { ...ROOTLESS, hostRestarts: { systemd: true, lingers: true } };
const NO_LINGER: HostContext = { ...ROOTLESS, hostRestarts: { systemd: true, lingers: false } };
const NO_SYSTEMD: HostContext = { ...ROOTLESS, hostRestarts: { systemd: false, lingers: false } };

describe("restart-after-boot", () => {
  it("rootless without linger: each restarting service warns, pointing at linger and units", () => {
    const { codes, findings } = runRule(rule, TEXT, NO_LINGER);
    expect(codes).toEqual([
      "4:compose.restart-after-boot",
      "8:compose.restart-after-boot",
      "11:compose.restart-after-boot",
    ]);
    expect(findings[0]?.status).toBe("warn");
    expect(findings[0]?.message).toContain("restart: always, but alice does not linger");
    expect(findings[0]?.remedy).toBe(
      "Run loginctl enable-linger alice, then start the containers with Quadlet units or podman generate systemd (podlift migrate services).",
    );
  });

  it("no systemd: warns rootless and rootful alike", () => {
    const rootful = { ...ROOTFUL, hostRestarts: { systemd: false, lingers: null } };
    for (const host of [NO_SYSTEMD, rootful]) {
      const { codes, findings } = runRule(rule, TEXT, host);
      expect(codes).toHaveLength(3);
      expect(findings[0]?.message).toContain("does not run systemd");
      expect(findings[0]?.remedy).toContain("(podlift migrate services)");
    }
  });

  it("passes a lingering user, a rootful systemd host, and a host whose facts are unknown", () => {
    expect(runRule(rule, TEXT, LINGERS).codes).toEqual([]);
    expect(runRule(rule, TEXT, { ...ROOTFUL, hostRestarts: { systemd: true, lingers: null } }).codes).toEqual(
      [],
    );
    expect(runRule(rule, TEXT, ROOTLESS).codes).toEqual([]);
  });

  it("lingering, podman-restart.service enabled: only restart: always comes back, the others warn", () => {
    const host = {
      ...ROOTLESS,
      hostRestarts: { systemd: true, lingers: true, podmanRestart: true, quadlets: [] },
    };
    const { codes, findings } = runRule(rule, TEXT, host);
    expect(codes).toEqual(["8:compose.restart-after-boot", "11:compose.restart-after-boot"]);
    expect(findings[0]?.message).toBe(
      "restart: unless-stopped, but podman-restart.service starts only restart: always containers at boot, and no Quadlet unit runs db",
    );
    expect(findings[0]?.remedy).toBe(
      "Write restart: always, or run it from Quadlet units or podman generate systemd (podlift migrate services).",
    );
  });

  it("lingering, nothing enabled and no units: every restarting service warns, pointing at migrate services", () => {
    const host = {
      ...ROOTLESS,
      hostRestarts: { systemd: true, lingers: true, podmanRestart: false, quadlets: [] },
    };
    const { codes, findings } = runRule(rule, TEXT, host);
    expect(codes).toHaveLength(3);
    expect(findings[0]?.message).toContain(
      "podman-restart.service is not enabled and no Quadlet unit runs app",
    );
    expect(findings[0]?.remedy).toBe(
      "Run the project from Quadlet units or podman generate systemd (podlift migrate services), or systemctl --user enable podman-restart.service (it starts restart: always containers only).",
    );
    const rootful = {
      ...ROOTFUL,
      hostRestarts: { systemd: true, lingers: null, podmanRestart: false, quadlets: [] },
    };
    expect(runRule(rule, TEXT, rootful).findings[0]?.remedy).toContain(
      "or systemctl enable podman-restart.service",
    );
  });

  it("Quadlet units for the project's services (by file name or ContainerName=) are enough", () => {
    const text = `name: cloud\n${TEXT}    container_name: nc-cron\n`.replace(
      '    restart: "on-failure:3"\n',
      '    restart: "on-failure:3"\n    container_name: nc-cron\n',
    );
    const host = {
      ...ROOTLESS,
      hostRestarts: {
        systemd: true,
        lingers: true,
        podmanRestart: false,
        quadlets: ["app", "cloud-db", "nc-cron"],
      },
    };
    expect(runRule(rule, text, host).codes).toEqual([]);
    // Units do not start at boot for a user who does not linger.
    expect(
      runRule(rule, text, { ...host, hostRestarts: { ...host.hostRestarts, lingers: false } }).codes,
    ).toHaveLength(3);
  });

  it("broken input: restart as a number, a list or a mapping; a service that is a string: no throw", () => {
    const text = yaml(
      "services:",
      "  a:",
      "    restart: 5",
      "  b:",
      "    restart: [always]",
      "  c: always",
      "  d:",
      "    restart: always",
    );
    expect(runRule(rule, text, NO_LINGER).codes).toEqual(["8:compose.restart-after-boot"]);
  });

  it("offers no edit: the policy stays as written", () => {
    const { findings } = runRule(rule, TEXT, NO_LINGER);
    const edited = editCompose(TEXT, findings, NO_LINGER, new Map());
    expect(edited.applied).toEqual([]);
    expect(edited.text).toBe(TEXT);
  });
});
