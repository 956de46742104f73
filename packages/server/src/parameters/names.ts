import { validation, hierarchyLevelLimitExceeded } from './errors.js';

/** Characters AWS counts against a name are the name plus its ARN prefix, within 1011. */
const MAX_NAME_WITH_ARN = 1011;
export const MAX_DEPTH = 15;
const SEGMENT = /^[a-zA-Z0-9_.-]+$/;

export const parameterArn = (region: string, account: string, name: string) =>
  `arn:aws:ssm:${region}:${account}:parameter/${name.startsWith('/') ? name.slice(1) : name}`;

const NAME_RULES =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/** Checks a name for PutParameter and returns it trimmed, as AWS trims surrounding spaces. */
export function checkName(raw: string, region: string, account: string): string {
  const name = raw.trim();
  if (name.length === 0) throw validation('Parameter name must not be empty.');
  const segments = name.startsWith('/') ? name.slice(1).split('/') : [name];
  if (!name.startsWith('/') && name.includes('/')) throw validation(`${NAME_RULES}. A hierarchical name must begin with a forward slash (/).`);
  if (segments.some((s) => !SEGMENT.test(s))) throw validation(NAME_RULES);
  if (/^(aws|ssm)/i.test(segments[0]!)) throw validation(NAME_RULES);
  if (parameterArn(region, account, name).length > MAX_NAME_WITH_ARN) {
    throw validation(`Parameter name ${name.slice(0, 64)}… is too long: with its ARN prefix it must be at most ${MAX_NAME_WITH_ARN} characters.`);
  }
  if (depthOf(name) > MAX_DEPTH) throw hierarchyLevelLimitExceeded(`A hierarchy can have a maximum of ${MAX_DEPTH} levels. The name ${name} has ${depthOf(name)}.`);
  return name;
}

/** `/a/b/c` is three levels deep; a name without slashes is one. */
export function depthOf(name: string): number {
  return name.startsWith('/') ? name.split('/').length - 1 : 1;
}

/** The path a parameter sits in: `/a/b/c` → `/a/b`, `/a` → `/`, `plain` → ''. */
export function parentPath(name: string): string {
  if (!name.startsWith('/')) return '';
  const i = name.lastIndexOf('/');
  return i === 0 ? '/' : name.slice(0, i);
}

export type Selector = { kind: 'latest' } | { kind: 'version'; version: number; text: string } | { kind: 'label'; label: string; text: string };

export interface ParameterReference {
  name: string;
  selector: Selector;
  /** What the caller wrote, for InvalidParameters lists. */
  given: string;
}

/**
 * A name as GetParameter accepts it: a name or the parameter's ARN, optionally followed by
 * `:version` or `:label`. An ARN of another account or region refers to nothing here.
 */
export function parseReference(given: string, region: string, account: string): ParameterReference | undefined {
  let rest = given.trim();
  if (rest.startsWith('arn:')) {
    const prefix = `arn:aws:ssm:${region}:${account}:parameter/`;
    if (!rest.startsWith(prefix)) return undefined;
    const tail = rest.slice(prefix.length);
    rest = tail.includes('/') || tail.startsWith('/') ? `/${tail.replace(/^\//, '')}` : tail;
  }
  const colon = rest.indexOf(':');
  if (colon < 0) return { name: rest, selector: { kind: 'latest' }, given };
  const name = rest.slice(0, colon);
  const sel = rest.slice(colon + 1);
  if (sel.includes(':') || sel.length === 0) throw validation(`Invalid selector in parameter name ${given}: use name:version or name:label.`);
  if (/^\d+$/.test(sel)) return { name, selector: { kind: 'version', version: Number(sel), text: `:${sel}` }, given };
  return { name, selector: { kind: 'label', label: sel, text: `:${sel}` }, given };
}

/** The last name parsed for a call's input; calls rarely interleave between the two uses. */
let lastParsed: { input: object; given: string; region: string; account: string; ref: ParameterReference | undefined } | undefined;

/**
 * parseReference for the name member of one call's input: IAM's resource ARN and the handler
 * both need it, and the input object is the same for both, so it is usually parsed once.
 */
export function referenceIn(input: object, given: string, region: string, account: string): ParameterReference | undefined {
  const last = lastParsed;
  if (last && last.input === input && last.given === given && last.region === region && last.account === account) return last.ref;
  const ref = parseReference(given, region, account);
  lastParsed = { input, given, region, account, ref };
  return ref;
}

/** Label rules: 1..100 of letters, digits, `.-_`; not starting with a digit, `aws` or `ssm`. */
export function isValidLabel(label: string): boolean {
  return label.length >= 1 && label.length <= 100 && /^[a-zA-Z0-9_.-]+$/.test(label) && !/^[0-9]/.test(label) && !/^(aws|ssm)/i.test(label);
}

/** A path for GetParametersByPath: `/`, or `/a/b` with or without a trailing slash. */
export function checkPath(raw: string): string {
  const path = raw.trim();
  if (!path.startsWith('/')) throw validation(`The parameter path ${path} is not valid: a path must begin with a forward slash (/).`);
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed !== '/' && trimmed.slice(1).split('/').some((s) => !SEGMENT.test(s))) throw validation(`The parameter path ${path} is not valid. ${NAME_RULES}`);
  if (trimmed !== '/' && depthOf(trimmed) > MAX_DEPTH) throw hierarchyLevelLimitExceeded(`A hierarchy can have a maximum of ${MAX_DEPTH} levels.`);
  return trimmed;
}
