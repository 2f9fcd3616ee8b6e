// Nothing that leaves the host may carry a secret. Reports pass through redactText; support
// bundles through a Redactor, which also counts what each rule removed (never what it removed),
// takes custom rules, and with obfuscation replaces host names, addresses and user names with
// stable tokens whose mapping stays on the host.
export interface Rule {
  name: string;
  pattern: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

// `_pass` / `-pass` as a name's last part (DB_PASS, REDIS_PASS), never `pass` inside a word
// (bypass, passenger).
const SECRET_KEY =
  "(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|requirepass|masterauth|jwt|[_-]pass(?![A-Za-z0-9]))";

// A command-line flag whose name says its value is a secret (`--token`, `--db-password`,
// `--api-key`, `--client-secret`, `--auth`, `--credentials`), judged by whole name segments so that
// `--keyboard`, `--bypass` or `--author` are not. A last segment that names where the secret is,
// or something about it, keeps the value (`--password-file /run/secrets/db`, `--token-ttl 60`),
// and so does a negated boolean (`--no-auth`).
const FLAG_SEGMENT = "[A-Za-z0-9]+";
const SECRET_SEGMENT =
  "(?:[A-Za-z0-9]*(?:token|password|passwd|secret)|requirepass|masterauth|jwt|(?:api|access|secret|private|auth|client|master|license|encryption|signing|app)?key|pass|passphrase|auth|credentials?|creds)";
const KEEP_SEGMENT =
  "(?:files?|path|dir|stdin|fd|env|type|mode|method|url|uri|endpoint|host|server|id|name|len|length|size|timeout|ttl|expiry|expires)";
const SECRET_FLAG = `--?(?![Nn][Oo][-_])(?:${FLAG_SEGMENT}[-_.])*?${SECRET_SEGMENT}(?:[-_.](?!${KEEP_SEGMENT}(?![A-Za-z0-9]))${FLAG_SEGMENT})*`;
// What separates the flag from its value: spaces in a command line (`app --token abc`), a comma in
// a JSON or YAML flow list (`"--token", "abc"`, across lines too), or the next item of a YAML
// block list (`- --token` then `- abc`). The flag's own closing quote comes first.
const FLAG_GAP = String.raw`["']?(?:[ \t]+|\s*,\s*|[ \t]*\r?\n[ \t]*-[ \t]+)`;
// The value: quoted (in a list, or a shell line, also with JSON-escaped quotes) or one bare word;
// never a further flag, never what is already redacted.
const FLAG_VALUE = String.raw`(?!--|\[REDACTED|\\?["']\[REDACTED)("(?:[^"\\\n]|\\.)+"|'[^'\n]+'|\\"(?:[^"\\\n]|\\[^"])+\\"|[^\s"'\\,;\[\]{}]+)`;

function redactFlagValue(_match: string, flag: string, gap: string, value: string): string {
  const quote = /^(\\"|"|')/.exec(value)?.[1] ?? "";
  return `${flag}${gap}${quote}[REDACTED]${quote}`;
}

export const BUILT_IN: Rule[] = [
  {
    name: "private-key",
    pattern: /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g,
    replace: "[REDACTED private key]",
  },
  {
    name: "url-credentials",
    // Starts only where a run of scheme characters starts: a \b start inside a long run
    // (a-a-a-a...) would rescan the rest of the run from every letter, quadratic time.
    pattern: /(?<![a-z0-9+.-])([a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/gi,
    replace: "$1[REDACTED]@",
  },
  {
    name: "auth-header",
    pattern: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g,
    replace: "$1 [REDACTED]",
  },
  {
    // KEY=value, "key": "value", key: value; a value that opens a block ({ [) is structure, not a secret.
    // The key is a whole run of name characters with a secret word in it, found by a lookahead
    // (atomic) from where the run starts: a \b start inside the run, or backtracking over every
    // secret word of a run (token-token-token...), would take quadratic time.
    name: "secret-assignment",
    pattern: new RegExp(
      `(?<![A-Za-z0-9_.-])(?=[A-Za-z0-9_.-]*?${SECRET_KEY})([A-Za-z0-9_.-]+)(["']?\\s*[=:]\\s*)(?!["']?\\[REDACTED)("[^"\\n]*"|'[^'\\n]*'|[^\\s"',;{}\\[\\]]+)`,
      "gi",
    ),
    // A quoted value is redacted whole, spaces and all ("correct horse battery"), quotes kept.
    replace: (_m: string, key: string, sep: string, value: string) => {
      const q = value[0] === '"' || value[0] === "'" ? value[0] : "";
      return `${key}${sep}${q}[REDACTED]${q}`;
    },
  },
  {
    // `--token abc`, `["--password", "abc"]`, `- --api-key` / `- abc`: the element after a secret
    // flag. `--password=abc` is a secret-assignment.
    name: "secret-flag",
    pattern: new RegExp(`(?<![A-Za-z0-9_-])(${SECRET_FLAG})(${FLAG_GAP})${FLAG_VALUE}`, "gi"),
    replace: redactFlagValue,
  },
  { name: "aws-access-key", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: "[REDACTED aws key]" },
  { name: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, replace: "[REDACTED token]" },
  { name: "slack-token", pattern: /\bxox[abpors]-[A-Za-z0-9-]{10,}\b/g, replace: "[REDACTED token]" },
];

export function redactText(text: string): string {
  let out = text;
  for (const rule of BUILT_IN) {
    const replace = rule.replace;
    out =
      typeof replace === "function"
        ? out.replace(rule.pattern, (match: string, ...rest: unknown[]) =>
            replace(match, ...(rest.slice(0, -2) as string[])),
          )
        : out.replace(rule.pattern, replace);
  }
  return out;
}

/** A deep copy with every string redacted (object keys too, since evidence keys can be names). */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}

export interface CustomRules {
  patterns: string[];
  literals: string[];
}

export interface RedactorOptions {
  custom?: CustomRules;
  /** Replace host names, IP and MAC addresses and user names with stable tokens. */
  obfuscate?: { hostnames: string[]; users: string[] };
}

export class Redactor {
  private readonly rules: Rule[];
  /** original -> token, for --obfuscate; written beside the bundle, never into it. */
  readonly mapping = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  constructor(options: RedactorOptions = {}) {
    const custom: Rule[] = [
      ...(options.custom?.literals ?? [])
        .filter((l) => l.length > 0)
        .map((l, i) => ({
          name: `custom-literal-${i + 1}`,
          pattern: new RegExp(escapeRegExp(l), "g"),
          replace: "[REDACTED]",
        })),
      ...(options.custom?.patterns ?? []).map((p, i) => ({
        name: `custom-pattern-${i + 1}`,
        pattern: new RegExp(p, "g"),
        replace: "[REDACTED]",
      })),
    ];
    const obfuscation: Rule[] = [];
    if (options.obfuscate) {
      const token = (kind: string) => (match: string) => this.token(kind, match);
      obfuscation.push(
        { name: "obfuscate-mac", pattern: /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi, replace: token("mac") },
        {
          name: "obfuscate-ipv4",
          pattern: /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g,
          replace: token("ip"),
        },
        {
          // Full eight groups, or "::"-compressed; three groups alone would be a clock time (02:30:03).
          name: "obfuscate-ipv6",
          pattern:
            /\b(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?)(?![\w:])/gi,
          replace: token("ip6"),
        },
      );
      const words = (list: string[]) =>
        [...new Set(list.filter((w) => w.length >= 3))].sort((a, b) => b.length - a.length).map(escapeRegExp);
      const hosts = words(options.obfuscate.hostnames);
      if (hosts.length > 0)
        obfuscation.push({
          name: "obfuscate-hostname",
          pattern: new RegExp(`\\b(?:${hosts.join("|")})\\b`, "g"),
          replace: token("host"),
        });
      const users = words(options.obfuscate.users);
      if (users.length > 0)
        obfuscation.push({
          name: "obfuscate-user",
          pattern: new RegExp(`\\b(?:${users.join("|")})\\b`, "g"),
          replace: token("user"),
        });
    }
    this.rules = [...BUILT_IN, ...custom, ...obfuscation];
  }

  private token(kind: string, original: string): string {
    let t = this.mapping.get(original);
    if (t === undefined) {
      t = `${kind}-${[...this.mapping.values()].filter((v) => v.startsWith(`${kind}-`)).length + 1}`;
      this.mapping.set(original, t);
    }
    return t;
  }

  /** Redacts one text; returns it with the count of each rule that matched in it. */
  text(input: string): { text: string; counts: Record<string, number> } {
    let out = input;
    const counts: Record<string, number> = {};
    for (const rule of this.rules) {
      out = out.replace(rule.pattern, (...args: unknown[]) => {
        counts[rule.name] = (counts[rule.name] ?? 0) + 1;
        const match = args[0] as string;
        const groups = args.slice(1, -2) as string[];
        return typeof rule.replace === "function"
          ? rule.replace(match, ...groups)
          : rule.replace.replace(/\$(\d)/g, (_, n: string) => groups[Number(n) - 1] ?? "");
      });
    }
    for (const [k, v] of Object.entries(counts)) this.counters.set(k, (this.counters.get(k) ?? 0) + v);
    return { text: out, counts };
  }

  totals(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
