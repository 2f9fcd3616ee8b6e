// What a user's Podman store holds, counted before a fix that resets it: the plan names what
// `podman system reset` would delete, never leaves it to be found out afterwards.
import { userEnv } from "../doctor/podman-facts.js";
import type { Host, UserInfo } from "../host/types.js";
import { asUser } from "./helpers.js";

export interface StoreCounts {
  images: number;
  containers: number;
  volumes: number;
  pods: number;
}

const LISTS: [keyof StoreCounts, string[]][] = [
  ["images", ["images", "--all", "--quiet"]],
  ["containers", ["ps", "--all", "--quiet"]],
  ["volumes", ["volume", "ls", "--quiet"]],
  ["pods", ["pod", "ps", "--quiet"]],
];

/** The counts, or why they could not be read (a list that failed or hung). */
export async function storeCounts(host: Host, user: UserInfo): Promise<StoreCounts | string> {
  const env = await userEnv(host, user);
  const out: StoreCounts = { images: 0, containers: 0, volumes: 0, pods: 0 };
  for (const [key, args] of LISTS) {
    const r = await host.run(["podman", ...args], { user: asUser(host, user), env, timeoutMs: 20000 });
    if (r.exitCode !== 0)
      return `\`podman ${args.join(" ")}\` ${r.timedOut ? "did not answer within 20 s" : `failed: ${r.stderr.trim().split("\n").at(-1)?.slice(0, 200) ?? ""}`}`;
    // An image with several tags is listed once per tag: count ids, not lines.
    out[key] = new Set(
      r.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== ""),
    ).size;
  }
  return out;
}

export function describeCounts(c: StoreCounts): string {
  return `${c.images} image(s), ${c.containers} container(s), ${c.volumes} volume(s) and ${c.pods} pod(s)`;
}

export function isEmpty(c: StoreCounts): boolean {
  return c.images + c.containers + c.volumes + c.pods === 0;
}
