import { parameterArn, parseReference } from '../../parameters/names.js';
import { parameterReads } from '../../parameters/slots.js';
import type { CallContext } from '../../protocol/context.js';
import { isAwsError } from '../../protocol/errors.js';
import { bindParameters } from './bind.js';
import { checkValue, fromText } from './convert.js';
import { EXACT_REFERENCE, REFERENCE, hasReference, isPlainObject, referenceKey, type ReferenceKind } from './syntax.js';
import { invalidParameters, type ParameterDeclaration, type ResolvedParameters, type ResolvedValue, type SuppliedParameters } from './types.js';

interface Resolved {
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
}

/** Parameter Store answers that mean "this reference names nothing you can use". */
const NOT_FOUND = new Set(['ParameterNotFound', 'ParameterVersionNotFound', 'ValidationException']);

/**
 * Replaces {{ssm:/name}} / {{ssm:/name:version}} / {{ssm-secure:/name}} references inside
 * values through Parameter Store at execution time, with the caller's permissions
 * (ssm:GetParameter on each parameter, and kms:Decrypt on a customer key for secure ones).
 * Unknown parameter → InvalidParameters.
 *
 * Rules follow the SSM Agent's resolver: a StringList parameter that is a whole item of a list
 * is split on commas into items, and may not be used inside a longer string; `{{ssm:}}` may
 * not name a SecureString (that is what `{{ssm-secure:}}` is for, and it marks the document
 * parameter secret). With `declarations`, values that held references are converted to their
 * declared type and checked against their rules, which `bindParameters` had to skip.
 */
export async function resolveReferences(call: CallContext, values: Record<string, ResolvedValue>, declarations?: readonly ParameterDeclaration[]): Promise<ResolvedParameters> {
  const lookups = new Map<string, Promise<Resolved>>();
  const resolve = (kind: ReferenceKind, name: string, owner: string) => {
    const key = referenceKey(kind, name);
    let p = lookups.get(key);
    if (!p) {
      p = lookup(call, kind, name, owner);
      // A rejected lookup is awaited by whichever value asked first; the others reuse it.
      p.catch(() => undefined);
      lookups.set(key, p);
    }
    return p;
  };
  const declared = new Map((declarations ?? []).map((d) => [d.name, d]));
  const out: Record<string, ResolvedValue> = {};
  const secret = new Set<string>();
  for (const [name, value] of Object.entries(values)) {
    if (!hasReference(value)) {
      out[name] = value;
      continue;
    }
    const state = { secret: false };
    let resolved = (await replaceIn(value, { owner: name, resolve, state, inList: false })) as ResolvedValue;
    if (state.secret) secret.add(name);
    const d = declared.get(name);
    if (d) {
      if (typeof resolved === 'string' && d.type !== 'String') resolved = fromText(d, resolved);
      checkValue(d, resolved);
    }
    out[name] = resolved;
  }
  return { values: out, secret };
}

/** Binds, resolves and checks in the one order that is right; what executing capabilities call. */
export async function prepareParameters(call: CallContext, declarations: readonly ParameterDeclaration[], supplied: SuppliedParameters): Promise<ResolvedParameters> {
  return resolveReferences(call, bindParameters(declarations, supplied), declarations);
}

interface Walk {
  owner: string;
  resolve: (kind: ReferenceKind, name: string, owner: string) => Promise<Resolved>;
  state: { secret: boolean };
  inList: boolean;
}

async function replaceIn(value: unknown, w: Walk): Promise<unknown> {
  if (typeof value === 'string') return replaceString(value, w);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const r = await replaceIn(item, { ...w, inList: true });
      // A whole-item StringList reference becomes several items of the list.
      if (r instanceof Spread) out.push(...r.items);
      else out.push(r);
    }
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await replaceIn(v, { ...w, inList: false });
    return out;
  }
  return value;
}

class Spread {
  constructor(readonly items: string[]) {}
}

async function replaceString(text: string, w: Walk): Promise<string | Spread> {
  const found = [...text.matchAll(REFERENCE)];
  if (found.length === 0) return text;
  const resolved = new Map<string, Resolved>();
  for (const m of found) {
    const kind = m[1] as ReferenceKind;
    if (kind === 'ssm-secure') w.state.secret = true;
    resolved.set(m[0], await w.resolve(kind, m[2]!, w.owner));
  }
  const exact = EXACT_REFERENCE.exec(text);
  const only = exact ? resolved.get(found[0]![0])! : undefined;
  if (only?.type === 'StringList' && w.inList) return new Spread(only.value.split(','));
  for (const m of found) {
    const r = resolved.get(m[0])!;
    if (r.type === 'StringList') {
      throw invalidParameters(`Parameter "${w.owner}" uses the StringList parameter ${m[2]} inside a string; a StringList reference must be a whole item of a list.`);
    }
  }
  // A replacer function, so `$&` or `$1` inside a parameter's value is copied as written.
  return text.replace(REFERENCE, (whole) => resolved.get(whole)!.value);
}

async function lookup(call: CallContext, kind: ReferenceKind, given: string, owner: string): Promise<Resolved> {
  const ref = `{{${kind}:${given}}}`;
  const missing = () => invalidParameters(`Parameter "${owner}" references ${ref}, which does not name a parameter in Parameter Store.`);
  let name: string;
  try {
    const parsed = parseReference(given, call.region, call.accountId);
    if (!parsed) throw missing();
    name = parsed.name;
  } catch (e) {
    if (isAwsError(e) && e.code === 'InvalidParameters') throw e;
    throw missing();
  }
  // Authorized before the lookup, so a caller cannot learn which names exist.
  await call.authorize('ssm:GetParameter', [parameterArn(call.region, call.accountId, name)]);
  let found;
  try {
    found = (await parameterReads(call.core).get(call, given, kind === 'ssm-secure')).Parameter;
  } catch (e) {
    if (isAwsError(e) && NOT_FOUND.has(e.code)) throw missing();
    throw e;
  }
  const type = found.Type as Resolved['type'];
  if (kind === 'ssm' && type === 'SecureString') {
    throw invalidParameters(`Parameter "${owner}" references ${ref}, a SecureString: reference it as {{ssm-secure:${given}}}.`);
  }
  if (kind === 'ssm-secure' && type !== 'SecureString') {
    throw invalidParameters(`Parameter "${owner}" references ${ref}, which is a ${type}, not a SecureString: reference it as {{ssm:${given}}}.`);
  }
  return { type, value: found.Value };
}
