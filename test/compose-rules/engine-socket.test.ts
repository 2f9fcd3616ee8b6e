import { describe, expect, it } from "vitest";
import { rule } from "../../compose-rules/engine-socket.js";
import { editCompose } from "../../src/compose-check/edits.js";
import { ROOTFUL, ROOTLESS, runRule, yaml } from "./helpers.js";

const TEXT = yaml(
  "services:",
  "  hub:",
  "    image: docker.io/jupyterhub/jupyterhub:4.1",
  "    volumes:",
  "      - /var/run/docker.sock:/var/run/docker.sock # spawner",
);

describe("engine-socket", () => {
  it("names the user's Podman socket under rootless, the system one rootful", () => {
    const rootless = runRule(rule, TEXT);
    expect(rootless.codes).toEqual(["5:compose.docker-socket"]);
    expect(rootless.findings[0]?.remedy).toBe(
      "Mount Podman's socket instead: /run/user/1000/podman/podman.sock:/var/run/docker.sock (start it with systemctl --user enable --now podman.socket)",
    );
    const rootful = runRule(rule, TEXT, ROOTFUL);
    expect(rootful.findings[0]?.remedy).toContain(
      "/run/podman/podman.sock:/var/run/docker.sock (start it with systemctl enable",
    );
  });

  it("the edit swaps the socket, keeps the comment, and labels it on an enforcing host", () => {
    const host = { ...ROOTLESS, selinuxEnforcing: true };
    const { findings } = runRule(rule, TEXT, host);
    const edited = editCompose(TEXT, findings, host, new Map());
    expect(edited.text.split("\n")[4]).toBe(
      "      - /run/user/1000/podman/podman.sock:/var/run/docker.sock:z # spawner",
    );
  });

  it("a named volume or another bind is not the socket", () => {
    expect(
      runRule(rule, yaml("services:", "  app:", "    volumes:", "      - data:/data", "      - ./run:/run"))
        .codes,
    ).toEqual([]);
  });
});
