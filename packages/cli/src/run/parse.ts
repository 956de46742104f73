/**
 * `capstan run`'s flags as SendCommand input. Everything here is checked before anything is
 * sent: a mistake is a UsageError (exit status 2) with a message saying what to write instead.
 */

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Target {
  Key: string;
  Values: string[];
}

const INSTANCE_ID = /^(i-(\w{8}|\w{17})|mi-\w{17})$/;
const CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const DOCUMENT_NAME = /^[a-zA-Z0-9_\-.:/]{3,128}$/;
const DOCUMENT_VERSION = /^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$/;
const PARAMETER_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

const TARGET_FORMS = 'tag:KEY=V1,V2 | tag-key=KEY | InstanceIds=ID,ID | resource-groups:Name=GROUP | Key=tag:KEY,Values=V1,V2';

const values = (text: string, what: string): string[] => {
  const list = text.split(',');
  if (list.some((v) => v === '')) throw new UsageError(`--targets ${what}: empty value in "${text}"`);
  return list;
};

/** One `--targets` value in any of the forms it takes (a JSON list may hold several). */
export function parseTarget(text: string): Target[] {
  const t = text.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch (e) {
      throw new UsageError(`--targets ${text}: not valid JSON (${(e as Error).message})`);
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((x) => {
      const o = x as { Key?: unknown; Values?: unknown };
      if (typeof o !== 'object' || o === null || typeof o.Key !== 'string' || !Array.isArray(o.Values) || !o.Values.every((v) => typeof v === 'string')) {
        throw new UsageError(`--targets ${text}: a JSON target is {"Key": "...", "Values": ["..."]}`);
      }
      return checkTarget({ Key: o.Key, Values: o.Values as string[] }, text);
    });
  }
  // The AWS CLI's shorthand: Key=tag:Env,Values=prod,dev
  const aws = /^Key=([^,]+),Values=(.*)$/s.exec(t);
  if (aws) return [checkTarget({ Key: aws[1]!, Values: values(aws[2]!, text) }, text)];
  const eq = t.indexOf('=');
  if (eq <= 0) throw new UsageError(`--targets ${text}: expected one of ${TARGET_FORMS}`);
  return [checkTarget({ Key: t.slice(0, eq), Values: values(t.slice(eq + 1), text) }, text)];
}

function checkTarget(target: Target, text: string): Target {
  const { Key: key, Values: vals } = target;
  if (vals.length === 0) throw new UsageError(`--targets ${text}: no values`);
  if (vals.length > 50) throw new UsageError(`--targets ${text}: at most 50 values per target`);
  if (key.startsWith('tag:')) {
    if (key.length === 4) throw new UsageError(`--targets ${text}: the tag key is missing (tag:KEY=VALUE)`);
  } else if (key === 'tag-key' || key === 'resource-groups:Name' || key === 'resource-groups:ResourceTypeFilters') {
    // any values
  } else if (key === 'InstanceIds') {
    const bad = vals.filter((v) => v !== '*' && !INSTANCE_ID.test(v));
    if (bad.length) throw new UsageError(`--targets ${text}: not instance ids: ${bad.join(', ')} (mi-… or i-…, or * for every node)`);
  } else {
    throw new UsageError(`--targets ${text}: unknown target key ${key}; expected one of ${TARGET_FORMS}${/^[\w.-]+$/.test(key) ? ` (did you mean tag:${key}=${vals.join(',')}?)` : ''}`);
  }
  return target;
}

/**
 * `--parameters` values: `name=value` (a name given again adds to its list; everything after
 * the first `=` is the value) or a JSON object of names to a string or a list of strings.
 */
export function parseParameters(list: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (name: string, value: string, text: string) => {
    if (!PARAMETER_NAME.test(name)) throw new UsageError(`--parameters ${text}: "${name}" is not a parameter name`);
    (out[name] ??= []).push(value);
  };
  for (const text of list) {
    if (text.trimStart().startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`--parameters ${text}: not valid JSON (${(e as Error).message})`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--parameters ${text}: a JSON form is an object such as {"commands":["uptime"]}`);
      for (const [name, v] of Object.entries(parsed)) {
        const vs: unknown[] = Array.isArray(v) ? v : [v];
        if (!vs.every((x) => typeof x === 'string')) throw new UsageError(`--parameters ${text}: the value of ${name} must be a string or a list of strings`);
        for (const x of vs as string[]) add(name, x, text);
      }
      continue;
    }
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UsageError(`--parameters ${text}: expected name=value (e.g. commands='uptime') or a JSON object`);
    add(text.slice(0, eq), text.slice(eq + 1), text);
  }
  return out;
}

export interface RunFlags {
  targets?: string[];
  instanceIds?: string[];
  document?: string;
  documentVersion?: string;
  parameters?: string[];
  maxConcurrency?: string;
  maxErrors?: string;
  timeoutSeconds?: string;
  comment?: string;
}

export interface SendInput {
  InstanceIds?: string[];
  Targets?: Target[];
  DocumentName: string;
  DocumentVersion?: string;
  Parameters?: Record<string, string[]>;
  MaxConcurrency?: string;
  MaxErrors?: string;
  TimeoutSeconds?: number;
  Comment?: string;
}

/** The SendCommand input the flags describe, or a UsageError. */
export function sendInput(f: RunFlags): SendInput {
  const hasTargets = (f.targets?.length ?? 0) > 0;
  const hasIds = (f.instanceIds?.length ?? 0) > 0;
  if (hasTargets === hasIds) throw new UsageError(hasTargets ? 'give either --targets or --instance-ids, not both' : 'say where to run: --targets tag:KEY=VALUE or --instance-ids mi-…');
  if (!f.document) throw new UsageError('--document is required (e.g. --document AWS-RunShellScript)');
  if (!DOCUMENT_NAME.test(f.document)) throw new UsageError(`--document ${f.document}: not a document name`);
  const input: SendInput = { DocumentName: f.document };
  if (hasIds) {
    const ids = f.instanceIds!.flatMap((s) => s.split(',')).filter((s) => s !== '');
    const bad = ids.filter((id) => !INSTANCE_ID.test(id));
    if (bad.length) throw new UsageError(`--instance-ids: not instance ids: ${bad.join(', ')} (mi- and 17 characters, or i-…)`);
    if (ids.length > 50) throw new UsageError(`--instance-ids: at most 50 (got ${ids.length}); use --targets for more`);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) throw new UsageError(`--instance-ids: ${dup} is given twice`);
    input.InstanceIds = ids;
  } else {
    const targets = f.targets!.flatMap(parseTarget);
    if (targets.length > 5) throw new UsageError(`--targets: at most 5 (got ${targets.length})`);
    input.Targets = targets;
  }
  if (f.documentVersion !== undefined) {
    if (!DOCUMENT_VERSION.test(f.documentVersion)) throw new UsageError(`--document-version ${f.documentVersion}: a version number, $LATEST or $DEFAULT`);
    input.DocumentVersion = f.documentVersion;
  }
  if (f.parameters?.length) input.Parameters = parseParameters(f.parameters);
  if (f.maxConcurrency !== undefined) {
    if (!CONCURRENCY.test(f.maxConcurrency)) throw new UsageError(`--max-concurrency ${f.maxConcurrency}: a number of nodes (1 or more) or a percentage (1%–100%)`);
    input.MaxConcurrency = f.maxConcurrency;
  }
  if (f.maxErrors !== undefined) {
    if (!ERRORS.test(f.maxErrors)) throw new UsageError(`--max-errors ${f.maxErrors}: a number of nodes (0 or more) or a percentage (0%–100%)`);
    input.MaxErrors = f.maxErrors;
  }
  if (f.timeoutSeconds !== undefined) {
    const n = Number(f.timeoutSeconds);
    if (!/^\d+$/.test(f.timeoutSeconds) || n < 30 || n > 2_592_000) throw new UsageError(`--timeout-seconds ${f.timeoutSeconds}: whole seconds from 30 to 2592000`);
    input.TimeoutSeconds = n;
  }
  if (f.comment !== undefined) {
    if (f.comment.length > 100) throw new UsageError(`--comment: at most 100 characters (got ${f.comment.length})`);
    input.Comment = f.comment;
  }
  return input;
}
