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
      "Run loginctl enable-linger alice, then start the containers with Quadlet units or podman generate systemd (podlift migrate services, coming).",
    );
  });

  it("no systemd: warns rootless and rootful alike", () => {
    const rootful = { ...ROOTFUL, hostRestarts: { systemd: false, lingers: null } };
    for (const host of [NO_SYSTEMD, rootful]) {
      const { codes, findings } = runRule(rule, TEXT, host);
      expect(codes).toHaveLength(3);
      expect(findings[0]?.message).toContain("does not run systemd");
      expect(findings[0]?.remedy).toContain("podlift migrate services, coming");
    }
  });

  it("passes a lingering user, a rootful systemd host, and a host whose facts are unknown", () => {
    expect(runRule(rule, TEXT, LINGERS).codes).toEqual([]);
    expect(runRule(rule, TEXT, { ...ROOTFUL, hostRestarts: { systemd: true, lingers: null } }).codes).toEqual(
      [],
    );
    expect(runRule(rule, TEXT, ROOTLESS).codes).toEqual([]);
  });

  it("offers no edit: the policy stays as written", () => {
    const { findings } = runRule(rule, TEXT, NO_LINGER);
    const edited = editCompose(TEXT, findings, NO_LINGER, new Map());
    expect(edited.applied).toEqual([]);
    expect(edited.text).toBe(TEXT);
  });
});
