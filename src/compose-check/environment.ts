// A service's environment as [key, value, position path] in file order, from either syntax
// (a list of KEY=value, or a mapping): https://github.com/compose-spec/compose-spec/blob/main/05-services.md#environment
import type { Service } from "./types.js";

/** A list entry without "=" (KEY alone: passed through from the shell) has an undefined value. */
export function environmentEntries(svc: Service, base: string): [string, string | undefined, string][] {
  const env = svc.environment;
  if (Array.isArray(env))
    return env.map((e, i) => {
      const [key = "", value] = String(e).split(/=(.*)/s);
      return [key, value, `${base}.environment.${i}`];
    });
  return Object.entries((env as Record<string, unknown>) ?? {}).map(([k, v]) => [
    k,
    String(v ?? ""),
    `${base}.environment.${k}`,
  ]);
}
