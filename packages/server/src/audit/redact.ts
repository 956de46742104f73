/** CloudTrail's own marker for values it will not record. */
export const REDACTED = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/** Always hidden, whatever the operation declares: credentials can never reach the trail. */
const ALWAYS = new Set(['SecretAccessKey', 'SessionToken', 'Password', 'ActivationCode', 'Plaintext', 'CiphertextBlob']);

/**
 * A copy of the request parameters with the named members (at any depth) replaced, so a
 * SecureString value or a key never reaches the audit trail.
 */
export function redact(value: unknown, sensitive: readonly string[] = []): unknown {
  const names = sensitive.length ? new Set([...ALWAYS, ...sensitive]) : ALWAYS;
  return walk(value, names, 0);
}

function walk(value: unknown, names: ReadonlySet<string>, depth: number): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => walk(v, names, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = names.has(k) ? REDACTED : walk(v, names, depth + 1);
  return out;
}
