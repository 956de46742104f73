import { isPlainObject } from './syntax.js';
import type { ResolvedValue } from './types.js';

export const MASK = '****';

/**
 * For records that are stored or shown: the same values with every secret replaced by '****'.
 * A secret keeps its shape where that is harmless (a list stays a list of masks); anything
 * else that happens to contain a secret's plaintext (a value interpolated from it, or one that
 * merely repeats it) has that text masked too.
 *
 * The safest record is still the supplied parameters, which hold only the `{{ssm-secure:…}}`
 * reference; this is for places that must show resolved values.
 */
export function redactSecrets(values: Record<string, ResolvedValue>, secret: ReadonlySet<string>): Record<string, ResolvedValue> {
  const plaintexts = secretTexts(values, secret);
  const out: Record<string, ResolvedValue> = {};
  for (const [name, value] of Object.entries(values)) {
    out[name] = secret.has(name) ? mask(value) : (scrub(value, plaintexts) as ResolvedValue);
  }
  return out;
}

/**
 * Any content (an interpolated document, a command's output) with the plaintext of every
 * secret value masked wherever it appears.
 */
export function scrubSecrets<T>(content: T, values: Record<string, ResolvedValue>, secret: ReadonlySet<string>): T {
  return scrub(content, secretTexts(values, secret)) as T;
}

function mask(value: ResolvedValue): ResolvedValue {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map(() => MASK);
  return MASK;
}

/**
 * The secrets' texts, longest first so a secret that contains another is masked whole. A
 * secret converted to a number or boolean is masked in its own place only: scrubbing every
 * `1` or `true` out of other values would hide everything and protect nothing.
 */
function secretTexts(values: Record<string, ResolvedValue>, secret: ReadonlySet<string>): string[] {
  const texts = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length > 0) texts.add(v);
    } else if (Array.isArray(v)) v.forEach(collect);
    else if (isPlainObject(v)) Object.values(v).forEach(collect);
  };
  for (const name of secret) if (Object.hasOwn(values, name)) collect(values[name]);
  return [...texts].sort((a, b) => b.length - a.length);
}

function scrub(node: unknown, plaintexts: readonly string[]): unknown {
  if (plaintexts.length === 0) return node;
  if (typeof node === 'string') return plaintexts.reduce((text, p) => text.split(p).join(MASK), node);
  if (typeof node === 'number' || typeof node === 'boolean') return plaintexts.includes(String(node)) ? MASK : node;
  if (Array.isArray(node)) return node.map((v) => scrub(v, plaintexts));
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = scrub(v, plaintexts);
    return out;
  }
  return node;
}
