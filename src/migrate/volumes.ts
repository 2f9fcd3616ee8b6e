// A migration run: the chosen volumes, a few at a time, each with its own progress line. The
// caller removes the helper image afterwards (docker.removeHelperImage), if reading needed one.
import { setMaxListeners } from "node:events";
import v8 from "node:v8";
import type { DockerClient } from "./docker.js";
import type { PlanItem } from "./plan.js";
import type { PodmanTarget } from "./podman.js";
import { migrateVolume, type VolumeOptions, type VolumeResult } from "./volume.js";

export interface RunMigrationOptions extends Omit<VolumeOptions, "onBytes" | "removeLater"> {
  parallel: number;
  progress: "default" | "silent";
}

export async function runMigration(
  docker: DockerClient,
  podman: PodmanTarget,
  items: PlanItem[],
  options: RunMigrationOptions,
): Promise<VolumeResult[]> {
  const results: VolumeResult[] = new Array(items.length);
  // Hashing churns through short-lived buffers: a young generation of 4 MiB semi-spaces (not
  // 16) keeps the peak RSS near what is really held (measured: bench/migrate.mjs, 200k entries).
  v8.setFlagsFromString("--max-semi-space-size=4");
  // Every process of every copy listens on the one signal: dozens with --parallel 10.
  if (options.signal) setMaxListeners(0, options.signal);
  // Helper containers a killed run left in the engine hold their volumes ("volume is in use").
  const removed = await docker.removeLeftoverHelpers().catch(() => 0);
  // Emptied staging volumes go in one `podman volume rm` at the end (a podman call costs ~0.1 s).
  const emptied: { name: string; index: number }[] = [];
  const one = async (index: number, report?: (text: string) => void) => {
    const item = items[index] as PlanItem;
    const started = performance.now();
    results[index] = await migrateVolume(docker, podman, item.source, item.target, {
      ...options,
      preflight: item.preflight,
      existing: item.existing,
      volumePath: item.volumePath,
      removeLater: (name) => emptied.push({ name, index }),
      onBytes: report
        ? (bytes) => {
            const seconds = (performance.now() - started) / 1000;
            const rate = bytes / Math.max(seconds, 0.001);
            const eta =
              item.sizeBytes && rate > 0
                ? `, ETA ${Math.max(0, Math.round((item.sizeBytes - bytes) / rate))} s`
                : "";
            report(
              `${formatBytes(bytes)}${item.sizeBytes ? ` of ${formatBytes(item.sizeBytes)}` : ""} at ${formatBytes(rate)}/s${eta}`,
            );
          }
        : undefined,
    });
    return results[index] as VolumeResult;
  };
  if (options.progress === "silent") {
    await pool(items.length, options.parallel, (i) => one(i));
  } else {
    const { Listr } = await import("listr2");
    await new Listr(
      items.map((item, i) => ({
        title: `${item.source.Name} → ${item.target}`,
        task: async (_ctx: unknown, task: { title: string; output: string }) => {
          let last = 0;
          const r = await one(i, (text) => {
            if (Date.now() - last > 250) {
              last = Date.now();
              task.output = text;
            }
          });
          task.title = `${item.source.Name} → ${item.target}: ${r.status}${r.error ? ` (${r.error})` : ""}`;
        },
      })),
      {
        concurrent: options.parallel,
        exitOnError: false,
        rendererOptions: { collapseSubtasks: false },
        renderer: "default",
      },
    ).run();
  }
  if (emptied.length > 0)
    await podman.remove(...emptied.map((e) => e.name)).catch((e: Error) => {
      for (const { name, index } of emptied)
        results[index]?.notes.push(`could not remove the emptied staging volume ${name}: ${e.message}`);
    });
  if (removed > 0)
    results[0]?.notes.push(
      `removed ${removed} helper container(s) an earlier, killed run left in the engine`,
    );
  return results;
}

/** work(0..count-1), at most `width` at once. */
export async function pool(
  count: number,
  width: number,
  work: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, count)) }, worker));
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
