/** CloudTrail's own marker for values it will not record. */
export const REDACTED = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/** Always hidden, whatever the operation declares: credentials can never reach the trail. */
const ALWAYS = new Set(['SecretAccessKey', 'SessionToken', 'Password', 'ActivationCode', 'Plaintext', 'CiphertextBlob']);

/** An operation's list of secret members is fixed, so its name set is built once. */
const namesFor = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * The request parameters with the named members (at any depth) replaced, so a SecureString
 * value or a key never reaches the audit trail. Parts with nothing to hide are shared with the
 * input rather than copied: this runs on every call.
 */
export function redact(value: unknown, sensitive: readonly string[] = []): unknown {
  let names = ALWAYS as ReadonlySet<string>;
  if (sensitive.length) {
    names = namesFor.get(sensitive) ?? new Set([...ALWAYS, ...sensitive]);
    namesFor.set(sensitive, names);
  }
  return walk(value, names, 0);
}

function walk(value: unknown, names: ReadonlySet<string>, depth: number): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as unknown;
      const next = walk(item, names, depth + 1);
      if (next !== item) (copy ??= value.slice())[i] = next;
    }
    return copy ?? value;
  }
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const item = source[key];
    const next = names.has(key) ? REDACTED : walk(item, names, depth + 1);
    if (next !== item) (copy ??= { ...source })[key] = next;
  }
  return copy ?? value;
}
