import { describe, expect, it } from "vitest";
import { check } from "../../checks/subuid-ranges.js";
import { PASSWD, runOn, tempHost, USER } from "../helpers.js";

const host = (subuid: string | null, subgid: string | null = subuid, passwd = PASSWD) =>
  tempHost(
    {
      "etc/passwd": passwd,
      ...(subuid === null ? {} : { "etc/subuid": subuid }),
      ...(subgid === null ? {} : { "etc/subgid": subgid }),
    },
    { user: USER },
  );

describe("subuid-ranges", () => {
  it("passes for a healthy rootless Fedora user", async () => {
    const r = await runOn(check, "fedora-40-rootless");
    expect(r.status).toBe("pass");
    expect(r.codes).toEqual(["subuid.ok", "subgid.ok"]);
    expect(r.find("subuid.ok").evidence?.total).toBe(65536);
  });

  it("fails when the user has no entry, and names podman system migrate", async () => {
    const r = await runOn(check, "no-subuid-entry");
    expect(r.status).toBe("fail");
    expect(r.codes).toEqual(["subuid.no-entry", "subgid.no-entry"]);
    expect(r.find("subuid.no-entry").remedy).toContain("podman system migrate");
    expect(r.find("subuid.no-entry").message).toContain("newhire");
  });

  it("finds the entry by numeric uid", async () => {
    const r = await runOn(check, host("1000:200000:65536\n"));
    expect(r.status).toBe("pass");
  });

  it("fails a range smaller than 65536 ids, summing several ranges", async () => {
    const r = await runOn(check, host("alice:200000:30000\nalice:300000:30000\n"));
    expect(r.codes).toContain("subuid.too-small");
    expect(r.find("subuid.too-small").evidence?.total).toBe(60000);
    const ok = await runOn(check, host("alice:200000:30000\nalice:300000:35536\n"));
    expect(ok.status).toBe("pass");
  });

  it("fails ranges that overlap another user's", async () => {
    const r = await runOn(check, host("bob:100000:65536\nalice:150000:65536\n"));
    expect(r.status).toBe("fail");
    expect(r.find("subuid.overlap").message).toContain("bob");
  });

  it("fails a range that contains the user's own uid, and warns about other accounts' ids", async () => {
    const r = await runOn(check, host("alice:0:70000\n"));
    expect(r.codes).toContain("subuid.includes-own-id");
    expect(r.find("subuid.includes-user-id").evidence?.accounts).toEqual(["root"]);
  });

  it("reports malformed lines with file and line number, and still reads the good ones", async () => {
    const r = await runOn(
      check,
      host("# comment\nalice:100000\nalice:x:65536\n\u0000\u0001garbage\nalice:100000:65536\n"),
    );
    const malformed = r.findings.filter((f) => f.code === "subuid.malformed");
    expect(malformed.map((f) => f.evidence?.line)).toEqual([2, 3, 4]);
    expect(malformed[2]?.evidence?.text).toBe("\\u0000\\u0001garbage");
    expect(r.codes).toContain("subuid.ok");
    expect(r.status).toBe("warn");
  });

  it("treats a malformed own entry as no entry at all", async () => {
    const r = await runOn(check, host("alice:100000:0\nalice:4294967290:65536\n"));
    expect(r.codes).toContain("subuid.no-entry");
    expect(r.findings.filter((f) => f.code === "subuid.malformed").map((f) => f.message)).toEqual([
      expect.stringContaining("count is 0"),
      expect.stringContaining("past the largest id"),
    ]);
  });

  it("fails when the files are missing", async () => {
    const r = await runOn(check, host(null));
    expect(r.codes).toEqual(["subuid.file-missing", "subgid.file-missing"]);
  });

  it("checks subgid independently of subuid", async () => {
    const r = await runOn(check, host("alice:100000:65536\n", "alice:100000:1000\n"));
    expect(r.codes).toEqual(["subuid.ok", "subgid.too-small"]);
  });

  it("is skipped for root", async () => {
    const root = tempHost({ "etc/passwd": PASSWD }, {});
    const r = await runOn(check, root);
    expect(r.status).toBe("skip");
  });
});
