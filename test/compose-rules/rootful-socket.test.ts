import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/rootful-socket.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

// A Traefik + Portainer stack, as in the field reports, pointed at "the Podman socket".
const TEXT = yaml(
  "services:",
  "  traefik:",
  "    image: docker.io/library/traefik:v3.1",
  "    command: --providers.docker=true",
  "    ports:",
  '      - "8080:80"',
  "    volumes:",
  "      - /run/podman/podman.sock:/var/run/docker.sock:ro # provider",
  "  portainer:",
  "    image: docker.io/portainer/portainer-ce:2.21.0",
  "    volumes:",
  '      - "/var/run/podman/podman.sock:/var/run/docker.sock"',
  "      - portainer_data:/data",
  "volumes:",
  "  portainer_data:",
);

describe("rootful-socket", () => {
  it("rootless: each mount of the rootful socket fails, naming the user's socket", () => {
    const { codes, findings } = runRule(rule, TEXT);
    expect(codes).toEqual(["8:compose.rootful-socket", "12:compose.rootful-socket"]);
    expect(findings[0]?.service).toBe("traefik");
    expect(findings[0]?.status).toBe("fail");
    expect(findings[0]?.remedy).toBe(
      "Mount the user's socket ($XDG_RUNTIME_DIR/podman/podman.sock) instead: /run/user/1000/podman/podman.sock:/var/run/docker.sock (start it with systemctl --user enable --now podman.socket)",
    );
    expect(findings[1]?.message).toContain("/var/run/podman/podman.sock");
  });

  it("rootful: the rootful socket is the right one, nothing is reported", () => {
    expect(runRule(rule, TEXT, ROOTFUL).codes).toEqual([]);
  });

  it("passes the user's socket, Docker's socket and named volumes", () => {
    const ok = yaml(
      "services:",
      "  traefik:",
      "    image: docker.io/library/traefik:v3.1",
      "    volumes:",
      "      - /run/user/1000/podman/podman.sock:/var/run/docker.sock:ro",
      "      - /var/run/docker.sock:/tmp/docker.sock",
      "      - data:/run/podman",
    );
    expect(runRule(rule, ok).codes).toEqual([]);
  });

  it("the edit swaps the source, keeps options, quotes and comments, labels on an enforcing host", () => {
    const host = { ...ROOTLESS, selinuxEnforcing: true };
    const { findings } = runRule(rule, TEXT, host);
    const edited = editCompose(TEXT, findings, host, new Map());
    expect(edited.skipped).toEqual([]);
    const lines = edited.text.split("\n");
    expect(lines[7]).toBe("      - /run/user/1000/podman/podman.sock:/var/run/docker.sock:ro,z # provider");
    expect(lines[11]).toBe('      - "/run/user/1000/podman/podman.sock:/var/run/docker.sock:z"');
    expect(runRule(rule, edited.text, host).codes).toEqual([]);
  });

  it("a long-syntax mount is found, and left for a hand edit", () => {
    const long = yaml(
      "services:",
      "  runner:",
      "    image: docker.io/gitlab/gitlab-runner:v17.0.0",
      "    volumes:",
      "      - type: bind",
      "        source: /run/podman/podman.sock",
      "        target: /var/run/docker.sock",
    );
    const { findings, codes } = runRule(rule, long);
    expect(codes).toEqual(["5:compose.rootful-socket"]);
    const edited = editCompose(long, findings, ROOTLESS, new Map());
    expect(edited.applied).toEqual([]);
    expect(edited.skipped).toHaveLength(1);
  });
});
