/**
 * Wildcard patterns and policy-variable templates, compiled once per policy.
 *
 * Three flavours of `*`/`?` exist in IAM:
 *  - plain (Action, StringLike): wildcards match any characters;
 *  - resource (Resource/NotResource): wildcards stay inside one colon-separated ARN
 *    field, except that a `*` ending a field may run on past colons, and anything goes
 *    in the final resource field (AWS's documented rule);
 *  - arn (ArnLike and friends): each of the six ARN fields is compared separately (a
 *    pattern with fewer fields lets its last one cover the rest, so `*` matches any ARN).
 *
 * Most patterns are exact strings, `*`, or a prefix followed by `*`; those are matched with
 * `===` / `startsWith`, and only the rest become a RegExp, built here and never per call.
 */
import type { EvaluationRequest } from './evaluate.js';
import { keyRef, resolveKey, scalarText, type KeyRef } from './context.js';

export type Flavor = 'plain' | 'resource' | 'arn';

type Token =
  | { readonly kind: 'lit'; readonly text: string }
  | { readonly kind: 'var'; readonly key: KeyRef | undefined; readonly fallback: string | undefined }
  | { readonly kind: 'star' | 'one'; readonly crossColon: boolean };

type VarToken = Extract<Token, { kind: 'var' }>;

export interface CompileOptions {
  /** Only 2012-10-17 policies substitute `${...}`; older ones read it literally. */
  readonly variables: boolean;
  /** Action names compare case-insensitively: the pattern is lowered here, the action by the caller. */
  readonly lowerCase?: boolean;
}

export interface CompiledPattern {
  /** 'exact' patterns are put in a Set by the caller; 'any' short-circuits. */
  readonly kind: 'any' | 'exact' | 'other';
  readonly text: string;
  readonly test: (subject: string, req: EvaluationRequest) => boolean;
}

/** A string with policy variables but no wildcards (condition values for =, <, IP, ...). */
export interface ValueTemplate {
  readonly constant: string | undefined;
  readonly resolve: (req: EvaluationRequest) => string | undefined;
}

// ARN fields before the resource field: arn, partition, service, region, account.
const ARN_HEADER_FIELDS = 5;
const DYNAMIC_CACHE_LIMIT = 256;

// ---------------------------------------------------------------------------------------------
// Tokenising

const VARIABLE_BODY = /^([^\s,']+)\s*(?:,\s*'((?:[^']|'')*)')?$/;
const ESCAPES: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };

/** `${*}`, `${?}` and `${$}` are escapes; anything else in braces names a key. */
function parseVariable(body: string): Token {
  const trimmed = body.trim();
  const escaped = ESCAPES[trimmed];
  if (escaped !== undefined) return { kind: 'lit', text: escaped };
  const match = VARIABLE_BODY.exec(trimmed);
  if (!match) return { kind: 'var', key: undefined, fallback: undefined };
  const name = match[1] ?? '';
  const fallback = match[2] === undefined ? undefined : match[2].replace(/''/g, "'");
  return { kind: 'var', key: name.includes(':') ? keyRef(name) : undefined, fallback };
}

function tokenize(text: string, wildcards: boolean, options: CompileOptions): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') tokens.push({ kind: 'lit', text: options.lowerCase ? literal.toLowerCase() : literal });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const close = options.variables && c === '$' && text.charAt(i + 1) === '{' ? text.indexOf('}', i + 2) : -1;
    if (close >= 0) {
      const token = parseVariable(text.slice(i + 2, close));
      if (token.kind === 'lit') literal += token.text;
      else {
        flush();
        tokens.push(token);
      }
      i = close;
    } else if (wildcards && (c === '*' || c === '?')) {
      flush();
      tokens.push({ kind: c === '*' ? 'star' : 'one', crossColon: true });
    } else {
      literal += c;
    }
  }
  flush();
  return tokens;
}

/** Decides, per wildcard, whether it may match a colon, by counting the ARN fields before it. */
function applyFlavor(tokens: Token[], flavor: Flavor): Token[] {
  if (flavor === 'plain') return tokens;
  // A pattern with fewer than six fields ("*", "arn:aws:ssm:*") lets its last field absorb the rest.
  const lastField = Math.min(countColons(tokens, tokens.length), ARN_HEADER_FIELDS);
  return tokens.map((token, i) => {
    if (token.kind === 'lit' || token.kind === 'var') return token;
    const field = Math.min(countColons(tokens, i), ARN_HEADER_FIELDS);
    const crossColon = field === lastField || endsField(tokens, i, token, flavor);
    return { kind: token.kind, crossColon };
  });
}

function countColons(tokens: readonly Token[], before: number): number {
  let colons = 0;
  for (let i = 0; i < before; i++) {
    const token = tokens[i];
    if (token?.kind !== 'lit') continue;
    for (let j = 0; j < token.text.length; j++) if (token.text.charCodeAt(j) === 58) colons++;
  }
  return colons;
}

/** AWS's Resource rule: a `*` that ends an ARN field may run on past the colon. */
function endsField(tokens: readonly Token[], i: number, token: Token, flavor: Flavor): boolean {
  if (flavor !== 'resource' || token.kind !== 'star') return false;
  const next = tokens[i + 1];
  return next === undefined || (next.kind === 'lit' && next.text.startsWith(':'));
}

// ---------------------------------------------------------------------------------------------
// Matching

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

function wildcardSource(token: Extract<Token, { kind: 'star' | 'one' }>): string {
  if (token.kind === 'star') return token.crossColon ? '[\\s\\S]*' : '[^:]*';
  return token.crossColon ? '[\\s\\S]' : '[^:]';
}

function resolveVar(token: VarToken, req: EvaluationRequest): string | undefined {
  const value = token.key === undefined ? undefined : scalarText(resolveKey(token.key, req));
  return value ?? token.fallback;
}

/** Regex source for the tokens; undefined when a variable cannot be resolved. */
function regexSource(tokens: readonly Token[], req: EvaluationRequest | undefined): string | undefined {
  let source = '^';
  for (const token of tokens) {
    if (token.kind === 'lit') source += escapeRegExp(token.text);
    else if (token.kind === 'var') {
      const value = req === undefined ? undefined : resolveVar(token, req);
      if (value === undefined) return undefined;
      source += escapeRegExp(value);
    } else source += wildcardSource(token);
  }
  return source + '$';
}

/** True when the only wildcard, if any, is a final `*` that may match anything. */
function isPrefixShape(tokens: readonly Token[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined || token.kind === 'lit' || token.kind === 'var') continue;
    return i === tokens.length - 1 && token.kind === 'star' && token.crossColon;
  }
  return true;
}

export function compilePattern(text: string, flavor: Flavor, options: CompileOptions): CompiledPattern {
  const tokens = applyFlavor(tokenize(text, true, options), flavor);
  const hasVariables = tokens.some((t) => t.kind === 'var');
  if (hasVariables) return { kind: 'other', text, test: dynamicMatcher(tokens) };
  return staticMatcher(text, tokens);
}

function staticMatcher(text: string, tokens: readonly Token[]): CompiledPattern {
  if (isPrefixShape(tokens)) {
    const last = tokens[tokens.length - 1];
    const trailingStar = last !== undefined && last.kind === 'star';
    const literal = tokens.map((t) => (t.kind === 'lit' ? t.text : '')).join('');
    if (!trailingStar) return { kind: 'exact', text: literal, test: (subject) => subject === literal };
    if (literal === '') return { kind: 'any', text, test: () => true };
    return { kind: 'other', text, test: (subject) => subject.startsWith(literal) };
  }
  const regex = new RegExp(regexSource(tokens, undefined) ?? '(?!)');
  return { kind: 'other', text, test: (subject) => regex.test(subject) };
}

/** Variables are substituted as literal text: a `*` in a user name is not a wildcard. */
function dynamicMatcher(tokens: readonly Token[]): CompiledPattern['test'] {
  if (isPrefixShape(tokens)) {
    const parts = tokens.filter((t): t is Exclude<Token, { kind: 'star' | 'one' }> => t.kind === 'lit' || t.kind === 'var');
    const trailingStar = parts.length !== tokens.length;
    return (subject, req) => matchSequence(parts, trailingStar, subject, req);
  }
  const variables = tokens.filter((t): t is VarToken => t.kind === 'var');
  const cache = new Map<string, RegExp>();
  return (subject, req) => {
    const key = variableValuesKey(variables, req);
    if (key === undefined) return false;
    let regex = cache.get(key);
    if (regex === undefined) {
      if (cache.size >= DYNAMIC_CACHE_LIMIT) cache.clear();
      regex = new RegExp(regexSource(tokens, req) ?? '(?!)');
      cache.set(key, regex);
    }
    return regex.test(subject);
  };
}

/**
 * Identifies a substitution by its variable values, so a cached RegExp is found without
 * rebuilding (and re-escaping) the source. One variable, the usual case, needs no joining.
 */
function variableValuesKey(variables: readonly VarToken[], req: EvaluationRequest): string | undefined {
  const first = variables[0];
  if (variables.length === 1 && first !== undefined) return resolveVar(first, req);
  let key = '';
  for (const variable of variables) {
    const value = resolveVar(variable, req);
    if (value === undefined) return undefined;
    key += `${value.length}:${value}`;
  }
  return key;
}

/** Walks literal and substituted parts with startsWith, so the common case allocates nothing. */
function matchSequence(
  parts: ReadonlyArray<Exclude<Token, { kind: 'star' | 'one' }>>,
  trailingStar: boolean,
  subject: string,
  req: EvaluationRequest,
): boolean {
  let position = 0;
  for (const part of parts) {
    const text = part.kind === 'lit' ? part.text : resolveVar(part, req);
    if (text === undefined || !subject.startsWith(text, position)) return false;
    position += text.length;
  }
  return trailingStar || position === subject.length;
}

// ---------------------------------------------------------------------------------------------
// Templates

export function compileTemplate(text: string, options: CompileOptions): ValueTemplate {
  const tokens = tokenize(text, false, options);
  if (!tokens.some((t) => t.kind === 'var')) {
    const constant = tokens.map((t) => (t.kind === 'lit' ? t.text : '')).join('');
    return { constant, resolve: () => constant };
  }
  return {
    constant: undefined,
    resolve: (req) => {
      let out = '';
      for (const token of tokens) {
        const text = token.kind === 'lit' ? token.text : token.kind === 'var' ? resolveVar(token, req) : undefined;
        if (text === undefined) return undefined;
        out += text;
      }
      return out;
    },
  };
}
