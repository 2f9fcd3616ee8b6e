// Nothing that leaves the host may carry a secret. Every report passes through here: URL
// credentials, auth headers, secret-looking key=value pairs, cloud keys and private keys.
const RULES: { name: string; pattern: RegExp; replace: string }[] = [
  {
    name: "private-key",
    pattern: /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g,
    replace: "[REDACTED private key]",
  },
  {
    name: "url-credentials",
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/gi,
    replace: "$1[REDACTED]@",
  },
  {
    name: "auth-header",
    pattern: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g,
    replace: "$1 [REDACTED]",
  },
  {
    name: "secret-assignment",
    pattern:
      /\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)[A-Za-z0-9_.-]*)(["']?\s*[=:]\s*["']?)(?!\[REDACTED)[^\s"',;}]+/gi,
    replace: "$1$2[REDACTED]",
  },
  { name: "aws-access-key", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: "[REDACTED aws key]" },
  { name: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, replace: "[REDACTED token]" },
];

export function redactText(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace);
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
