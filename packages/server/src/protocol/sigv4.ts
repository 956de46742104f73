/**
 * Server-side AWS Signature Version 4 verification.
 *
 * Split in two phases so the request pipeline can reject malformed, stale or
 * mis-scoped requests before it spends a credential-store lookup on them:
 * `parseAuthorization` needs no secret, `verifySignature` does.
 *
 * Canonicalisation follows what the AWS SDKs actually sign (checked against
 * @smithy/signature-v4 and botocore), not just the prose of the documentation.
 */
import crypto, { createHash, createHmac, type BinaryLike } from 'node:crypto';

export interface IncomingSignedRequest {
  method: string;
  /** The raw request path exactly as received, without the query string (still percent-encoded). */
  path: string;
  /** The raw query string without '?', or '' */
  query: string;
  /** Header names lower-case as Node gives them; repeated headers as arrays. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type AuthFailureReason =
  | 'missing' // no Authorization header and no X-Amz-Signature query parameter
  | 'incomplete' // Authorization present but malformed / missing Credential, SignedHeaders or Signature, unsupported algorithm, bad X-Amz-Date, 'host' not signed, or a signed header absent
  | 'bad-scope' // credential scope malformed (not date/region/service/aws4_request) or its date differs from X-Amz-Date's date
  | 'wrong-service' // scope service differs from the service the endpoint expects
  | 'expired' // X-Amz-Date more than 15 minutes from now (either direction) — or, for presigned URLs, past X-Amz-Expires
  | 'signature-mismatch';

export class SigV4Error extends Error {
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'SigV4Error';
  }
}

export interface ParsedAuthorization {
  accessKeyId: string;
  /** YYYYMMDD, from the credential scope. */
  date: string;
  region: string;
  service: string;
  /** Lower-cased, in the order the client listed them (that order is part of what it signed). */
  signedHeaders: readonly string[];
  signature: string;
  /** YYYYMMDDTHHMMSSZ; converted from the Date header when the client sent no X-Amz-Date. */
  amzDate: string;
  requestTime: Date;
  securityToken?: string;
  presigned: boolean;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_EXPIRES_S = 604_800;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SIGNATURE_PARAM = 'X-Amz-Signature';

const MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

// ---------------------------------------------------------------------------
// Phase 1: form, scope, clock
// ---------------------------------------------------------------------------

/** What either auth style (header or presigned query) yields before scope checks. */
interface RawAuth {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  requestTime: Date;
  /** Only for presigned URLs that carry X-Amz-Expires. */
  expiresSeconds?: number;
  securityToken?: string;
  presigned: boolean;
}

export function parseAuthorization(
  req: IncomingSignedRequest,
  now: Date,
  expectedServices: readonly string[],
): ParsedAuthorization {
  // Most API calls carry an empty query; skip parsing it unless it can hold auth parameters.
  const queryAuth = req.query.includes('X-Amz-') ? readQueryAuthParams(req.query) : undefined;
  const authorization = soleHeader(req.headers, 'authorization');
  let raw: RawAuth;
  if (authorization !== undefined) raw = readHeaderAuth(authorization, req, queryAuth);
  else if (queryAuth?.signature !== undefined) raw = readQueryAuth(queryAuth);
  else throw new SigV4Error('missing', 'Missing Authentication Token');

  const signedHeaders = checkSignedHeaders(raw.signedHeaders, req.headers);
  checkPayloadHashHeader(req.headers);
  const scope = parseCredential(raw.credential);
  checkScope(scope, raw.amzDate, expectedServices);
  checkClock(raw, now);

  const parsed: ParsedAuthorization = {
    accessKeyId: scope.accessKeyId,
    date: scope.date,
    region: scope.region,
    service: scope.service,
    signedHeaders,
    signature: raw.signature,
    amzDate: raw.amzDate,
    requestTime: raw.requestTime,
    presigned: raw.presigned,
  };
  if (raw.securityToken !== undefined) parsed.securityToken = raw.securityToken;
  return parsed;
}

// --- Authorization header ---------------------------------------------------

function readHeaderAuth(
  authorization: string,
  req: IncomingSignedRequest,
  queryAuth: QueryAuthParams | undefined,
): RawAuth {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new SigV4Error(
      'incomplete',
      `Unsupported Authorization algorithm '${algorithm}'; only '${ALGORITHM}' is supported.`,
    );
  }
  const fields = space < 0 ? {} : readAuthFields(authorization.slice(space + 1));
  const missing: string[] = [];
  if (!fields.Credential) missing.push("Authorization header requires 'Credential' parameter.");
  if (!fields.Signature) missing.push("Authorization header requires 'Signature' parameter.");
  if (!fields.SignedHeaders) missing.push("Authorization header requires 'SignedHeaders' parameter.");
  const time = readHeaderTime(req.headers);
  if (time === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (missing.length > 0 || time === undefined) throw new SigV4Error('incomplete', missing.join(' '));

  const raw: RawAuth = {
    credential: fields.Credential!,
    signedHeaders: fields.SignedHeaders!,
    signature: fields.Signature!,
    amzDate: time.amzDate,
    requestTime: time.requestTime,
    presigned: false,
  };
  const token = soleHeader(req.headers, 'x-amz-security-token') ?? queryAuth?.securityToken;
  if (token !== undefined) raw.securityToken = token;
  return raw;
}

type AuthFieldName = 'Credential' | 'SignedHeaders' | 'Signature';
const USUAL_AUTH_FIELDS = /^Credential=([^,\s=]+), ?SignedHeaders=([^,\s=]+), ?Signature=([^,\s=]+)$/;
const AUTH_FIELD_NAMES: ReadonlySet<string> = new Set<AuthFieldName>(['Credential', 'SignedHeaders', 'Signature']);

/** `Credential=…, SignedHeaders=…, Signature=…`; SDKs differ on the space after the comma. */
function readAuthFields(text: string): Partial<Record<AuthFieldName, string>> {
  // What every SDK sends, read with one match; anything else takes the general path below.
  const usual = USUAL_AUTH_FIELDS.exec(text);
  if (usual) return { Credential: usual[1]!, SignedHeaders: usual[2]!, Signature: usual[3]! };
  const fields: Partial<Record<AuthFieldName, string>> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 1) {
      throw new SigV4Error(
        'incomplete',
        `'${item}' not a valid key=value pair (missing equal-sign) in Authorization header.`,
      );
    }
    const name = item.slice(0, eq);
    // Unknown parameters are ignored rather than rejected: they cannot influence the signature.
    if (!AUTH_FIELD_NAMES.has(name)) continue;
    const key = name as AuthFieldName;
    if (fields[key] !== undefined) {
      throw new SigV4Error('incomplete', `Authorization header contains the '${key}' parameter more than once.`);
    }
    fields[key] = item.slice(eq + 1);
  }
  return fields;
}

function readHeaderTime(headers: IncomingSignedRequest['headers']): { amzDate: string; requestTime: Date } | undefined {
  const amzDate = soleHeader(headers, 'x-amz-date');
  if (amzDate !== undefined) {
    // A present but malformed X-Amz-Date must not silently fall back to Date.
    return { amzDate, requestTime: parseAmzDateOrThrow(amzDate) };
  }
  const httpDate = soleHeader(headers, 'date');
  if (httpDate === undefined) return undefined;
  const requestTime = parseHttpDate(httpDate);
  if (requestTime === undefined) {
    throw new SigV4Error('incomplete', `Date header must be in RFC 1123 form. Got '${httpDate}'.`);
  }
  return { amzDate: formatAmzDate(requestTime), requestTime };
}

// --- Presigned query --------------------------------------------------------

interface QueryAuthParams {
  algorithm?: string;
  credential?: string;
  date?: string;
  expires?: string;
  signedHeaders?: string;
  signature?: string;
  securityToken?: string;
  /** First auth parameter seen twice; only an error for presigned requests. */
  duplicate?: string;
}

const QUERY_AUTH_FIELDS: Readonly<Record<string, Exclude<keyof QueryAuthParams, 'duplicate'>>> = {
  'X-Amz-Algorithm': 'algorithm',
  'X-Amz-Credential': 'credential',
  'X-Amz-Date': 'date',
  'X-Amz-Expires': 'expires',
  'X-Amz-SignedHeaders': 'signedHeaders',
  'X-Amz-Signature': 'signature',
  'X-Amz-Security-Token': 'securityToken',
};

function readQueryAuthParams(query: string): QueryAuthParams {
  const params: QueryAuthParams = {};
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const name = rawName.includes('%') ? decodeQueryComponent(rawName) : rawName;
    const field = Object.hasOwn(QUERY_AUTH_FIELDS, name) ? QUERY_AUTH_FIELDS[name] : undefined;
    if (field === undefined) continue;
    if (params[field] !== undefined) {
      params.duplicate ??= name;
      continue;
    }
    params[field] = eq < 0 ? '' : decodeQueryComponent(part.slice(eq + 1));
  }
  return params;
}

function readQueryAuth(params: QueryAuthParams): RawAuth {
  if (params.duplicate !== undefined) {
    throw new SigV4Error('incomplete', `Query-string parameter '${params.duplicate}' must not appear more than once.`);
  }
  const missing: string[] = [];
  const require = (value: string | undefined, name: string): void => {
    if (!value) missing.push(`AWS query-string parameters must include '${name}'. Re-examine the query-string parameters.`);
  };
  require(params.algorithm, 'X-Amz-Algorithm');
  require(params.credential, 'X-Amz-Credential');
  require(params.signature, SIGNATURE_PARAM);
  require(params.signedHeaders, 'X-Amz-SignedHeaders');
  require(params.date, 'X-Amz-Date');
  if (missing.length > 0) throw new SigV4Error('incomplete', missing.join(' '));
  if (params.algorithm !== ALGORITHM) {
    throw new SigV4Error('incomplete', `X-Amz-Algorithm only supports '${ALGORITHM}', not '${params.algorithm}'.`);
  }
  const raw: RawAuth = {
    credential: params.credential!,
    signedHeaders: params.signedHeaders!,
    signature: params.signature!,
    amzDate: params.date!,
    requestTime: parseAmzDateOrThrow(params.date!),
    presigned: true,
  };
  if (params.expires !== undefined) raw.expiresSeconds = parseExpires(params.expires);
  if (params.securityToken !== undefined) raw.securityToken = params.securityToken;
  return raw;
}

function parseExpires(text: string): number {
  if (!/^\d{1,10}$/.test(text)) {
    throw new SigV4Error('incomplete', `X-Amz-Expires should be a number of seconds, not '${text}'.`);
  }
  const seconds = Number(text);
  if (seconds > MAX_PRESIGNED_EXPIRES_S) {
    throw new SigV4Error(
      'incomplete',
      `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRES_S}.`,
    );
  }
  return seconds;
}

// --- Checks shared by both styles ---------------------------------------------

function checkSignedHeaders(list: string, headers: IncomingSignedRequest['headers']): readonly string[] {
  const names = signedHeaderNames(list);
  for (const name of names) {
    if (!hasHeader(headers, name)) {
      throw new SigV4Error('incomplete', `Header '${name}' is listed in SignedHeaders but is not present in the request.`);
    }
  }
  return names;
}

/**
 * A client signs the same header list on every call, so its checked, lower-cased form is kept
 * (shared and frozen: callers only read it). Only lists that pass the checks are remembered.
 */
const signedHeaderLists = new Map<string, readonly string[]>();

function signedHeaderNames(list: string): readonly string[] {
  let names = signedHeaderLists.get(list);
  if (names !== undefined) return names;
  const parsed = list.toLowerCase().split(';');
  for (const name of parsed) {
    if (name === '') throw new SigV4Error('incomplete', `SignedHeaders '${list}' contains an empty header name.`);
  }
  // Without a signed Host a captured request could be replayed against another endpoint.
  if (!parsed.includes('host')) {
    throw new SigV4Error('incomplete', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  names = Object.freeze(parsed);
  remember(signedHeaderLists, list, names);
  return names;
}

const PARSE_CACHE_LIMIT = 4096;

/** Bounded: a caller inventing a new text per request only ever evicts the oldest entry. */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= PARSE_CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
}

/** Streaming (chunk-signed) payloads are an S3 feature; no Capstan endpoint accepts them. */
function checkPayloadHashHeader(headers: IncomingSignedRequest['headers']): void {
  const declared = soleHeader(headers, 'x-amz-content-sha256');
  if (declared === undefined || declared === UNSIGNED_PAYLOAD || SHA256_HEX.test(declared)) return;
  throw new SigV4Error(
    'incomplete',
    `x-amz-content-sha256 must be ${UNSIGNED_PAYLOAD} or a hex SHA-256 digest, not '${declared}'.`,
  );
}

interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** A client's credential scope only changes with the day; valid scopes are kept, frozen. */
const credentialScopes = new Map<string, CredentialScope>();

function parseCredential(credential: string): CredentialScope {
  let scope = credentialScopes.get(credential);
  if (scope === undefined) {
    scope = Object.freeze(parseCredentialText(credential));
    remember(credentialScopes, credential, scope);
  }
  return scope;
}

function parseCredentialText(credential: string): CredentialScope {
  const parts = credential.split('/');
  if (parts.length !== 5) {
    throw new SigV4Error(
      'bad-scope',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKeyId === '') throw new SigV4Error('incomplete', 'Credential must begin with a non-empty access key id.');
  if (!/^\d{8}$/.test(date)) {
    throw new SigV4Error('bad-scope', `Invalid credential date '${date}'. Date is not the required format: yyyyMMdd.`);
  }
  if (region === '') throw new SigV4Error('bad-scope', "Credential should be scoped to a valid region, not ''.");
  if (service === '') throw new SigV4Error('bad-scope', "Credential should be scoped to a valid service, not ''.");
  if (terminator !== TERMINATOR) {
    throw new SigV4Error(
      'bad-scope',
      `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator}'.`,
    );
  }
  return { accessKeyId, date, region, service };
}

function checkScope(scope: CredentialScope, amzDate: string, expectedServices: readonly string[]): void {
  if (!amzDate.startsWith(scope.date)) {
    throw new SigV4Error(
      'bad-scope',
      'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ' +
        `'${scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  if (!expectedServices.includes(scope.service)) {
    throw new SigV4Error(
      'wrong-service',
      `Credential should be scoped to correct service: '${expectedServices[0] ?? ''}'.`,
    );
  }
}

function checkClock(raw: RawAuth, now: Date): void {
  const nowMs = now.getTime();
  const signedMs = raw.requestTime.getTime();
  if (signedMs - nowMs > MAX_SKEW_MS) {
    throw new SigV4Error(
      'expired',
      `Signature not yet current: ${raw.amzDate} is still later than ${formatAmzDate(new Date(nowMs + MAX_SKEW_MS))} ` +
        `(${formatAmzDate(now)} + 15 min.)`,
    );
  }
  if (raw.expiresSeconds !== undefined) {
    // A presigned URL may legitimately be older than the skew window, up to its own lifetime.
    if (nowMs - signedMs > raw.expiresSeconds * 1000) {
      throw new SigV4Error(
        'expired',
        `Signature expired: ${raw.amzDate} is now earlier than ` +
          `${formatAmzDate(new Date(nowMs - raw.expiresSeconds * 1000))} (${formatAmzDate(now)} - ${raw.expiresSeconds} sec.)`,
      );
    }
    return;
  }
  if (nowMs - signedMs > MAX_SKEW_MS) {
    throw new SigV4Error(
      'expired',
      `Signature expired: ${raw.amzDate} is now earlier than ${formatAmzDate(new Date(nowMs - MAX_SKEW_MS))} ` +
        `(${formatAmzDate(now)} - 15 min.)`,
    );
  }
}

// --- Dates --------------------------------------------------------------------

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

let lastAmzDate = '';
let lastAmzTime = 0;

function parseAmzDateOrThrow(text: string): Date {
  // Requests signed in the same second carry the same text; only valid texts are remembered.
  if (text === lastAmzDate) return new Date(lastAmzTime);
  const m = AMZ_DATE.exec(text);
  const date = m && utcDate(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (!date) {
    throw new SigV4Error(
      'incomplete',
      `Date must be in ISO-8601 'basic format'. Got '${text}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  lastAmzDate = text;
  lastAmzTime = date.getTime();
  return date;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/** RFC 1123 only: Date.parse would also accept forms no SDK sends and ambiguous local times. */
function parseHttpDate(text: string): Date | undefined {
  const m = HTTP_DATE.exec(text);
  const month = m ? MONTHS[m[2]!] : undefined;
  if (!m || month === undefined) return undefined;
  return utcDate(+m[3]!, month, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Rejects out-of-range fields instead of letting Date.UTC roll them over (e.g. Feb 30). */
function utcDate(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | undefined {
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const valid =
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s;
  return valid ? date : undefined;
}

function formatAmzDate(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return (
    iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + 'T' + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z'
  );
}

// ---------------------------------------------------------------------------
// Phase 2: recompute and compare
// ---------------------------------------------------------------------------

export function verifySignature(req: IncomingSignedRequest, parsed: ParsedAuthorization, secretAccessKey: string): void {
  const canonicalRequest =
    req.method + '\n' +
    (parsed.service === 's3' ? s3CanonicalUri(req.path) : canonicalUri(req.path)) + '\n' +
    canonicalQueryString(req.query, parsed.presigned) + '\n' +
    canonicalHeaders(req.headers, parsed.signedHeaders) + '\n' +
    parsed.signedHeaders.join(';') + '\n' +
    payloadHash(req);
  const stringToSign =
    ALGORITHM + '\n' +
    parsed.amzDate + '\n' +
    parsed.date + '/' + parsed.region + '/' + parsed.service + '/' + TERMINATOR + '\n' +
    sha256Hex(canonicalRequest);
  const key = signingKey(secretAccessKey, parsed.date, parsed.region, parsed.service);
  const expected = hmacHex(key, stringToSign);
  if (!sameSignature(expected, parsed.signature)) throw new SigV4Error('signature-mismatch', MISMATCH_MESSAGE);
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

function sameSignature(expectedHex: string, provided: string): boolean {
  // The length is public (64 hex digits); the loop visits every character whatever the content,
  // so the time taken says nothing about how much of the signature matched.
  if (provided.length !== expectedHex.length) return false;
  let diff = 0;
  for (let i = 0; i < expectedHex.length; i++) diff |= expectedHex.charCodeAt(i) ^ provided.charCodeAt(i);
  return diff === 0;
}

/**
 * The client's declared hash is what it signed, but on its own it would let a
 * replayed request carry a different body; so a declared digest must match the body.
 */
function payloadHash(req: IncomingSignedRequest): string {
  const declared = soleHeader(req.headers, 'x-amz-content-sha256');
  if (declared === UNSIGNED_PAYLOAD) return declared;
  const actual = req.body.length === 0 ? EMPTY_BODY_SHA256 : bodyDigest(req.body);
  if (declared === undefined) return actual;
  if (declared.toLowerCase() !== actual) {
    throw new SigV4Error('signature-mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return declared;
}

/**
 * Small bodies repeat (a fleet reading the same parameters asks with the same few bytes), and a
 * digest is a pure function of them, so the digests of the most recent small bodies are kept:
 * looking up 200 bytes costs far less than hashing them.
 */
const SMALL_BODY = 256;
const bodyDigests = new Map<string, string>();

function bodyDigest(body: Buffer): string {
  if (body.length > SMALL_BODY) return sha256Hex(body);
  // latin1 maps each byte to one character, so equal keys are equal bodies.
  const key = body.toString('latin1');
  let digest = bodyDigests.get(key);
  if (digest === undefined) {
    digest = sha256Hex(body);
    remember(bodyDigests, key, digest);
  }
  return digest;
}

/** One-shot crypto.hash (Node >= 20.12) skips the Hash object and is about twice as fast on small inputs. */
const sha256Hex: (data: BinaryLike) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');

const sha256Bytes: (data: BinaryLike) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer') as unknown as Buffer
    : (data) => createHash('sha256').update(data).digest();

// --- Signing keys ---------------------------------------------------------------

const SIGNING_KEY_CACHE_LIMIT = 4096;
/**
 * By secret, then scope. Looked up with the strings the credential cache and the scope cache
 * already hold, whose hashes V8 keeps: a key built by concatenation would be hashed anew per call.
 */
const signingKeys = new Map<string, { date: string; region: string; service: string; key: SigningKey }[]>();
let signingKeyCount = 0;

/**
 * A derived signing key as HMAC-SHA256 uses it (RFC 2104): the key XOR ipad and XOR opad,
 * one 64-byte block each. With them kept, an HMAC is two one-shot hashes, which cost less than
 * half of what a createHmac object does on inputs this small.
 */
interface SigningKey {
  inner: Buffer;
  outer: Buffer;
}

const SHA256_BLOCK = 64;

function padsOf(key: Buffer): SigningKey {
  // Derived keys are SHA-256 outputs, 32 bytes, so shorter than a block as RFC 2104 needs here.
  const inner = Buffer.alloc(SHA256_BLOCK, 0x36);
  const outer = Buffer.alloc(SHA256_BLOCK, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i]! ^= key[i]!;
    outer[i]! ^= key[i]!;
  }
  return { inner, outer };
}

/** Room for the block and a string to sign; longer ones (only malformed scopes) get their own buffer. */
const scratch = Buffer.alloc(SHA256_BLOCK + 1024);
/** The outer block, then the inner digest. */
const scratchOuter = Buffer.alloc(SHA256_BLOCK + 32);

/** HMAC-SHA256 of `message` (UTF-8) under the key, as lower-case hex. */
function hmacHex(key: SigningKey, message: string): string {
  const fits = message.length * 3 <= scratch.length - SHA256_BLOCK;
  const input = fits ? scratch : Buffer.alloc(SHA256_BLOCK + Buffer.byteLength(message, 'utf8'));
  key.inner.copy(input, 0);
  const n = input.write(message, SHA256_BLOCK, 'utf8');
  key.outer.copy(scratchOuter, 0);
  scratchOuter.set(sha256Bytes(input.subarray(0, SHA256_BLOCK + n)), SHA256_BLOCK);
  return sha256Hex(scratchOuter);
}

/** Number of cached signing keys; exposed so tests can check the cache stays bounded. */
export function signingKeyCacheSize(): number {
  return signingKeyCount;
}

/** A signing key only changes with the day, so one derivation serves a client for 24 hours. */
function signingKey(secret: string, date: string, region: string, service: string): SigningKey {
  let scopes = signingKeys.get(secret);
  if (scopes !== undefined) {
    for (const s of scopes) if (s.date === date && s.region === region && s.service === service) return s.key;
  }
  const key = padsOf(deriveSigningKey(secret, date, region, service));
  if (signingKeyCount >= SIGNING_KEY_CACHE_LIMIT) {
    // Maps iterate in insertion order, so this evicts the secret seen first.
    const oldest = signingKeys.entries().next();
    if (!oldest.done) {
      signingKeys.delete(oldest.value[0]);
      signingKeyCount -= oldest.value[1].length;
      if (oldest.value[0] === secret) scopes = undefined;
    }
  }
  if (scopes === undefined) signingKeys.set(secret, (scopes = []));
  scopes.push({ date, region, service, key });
  signingKeyCount++;
  return key;
}

function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', 'AWS4' + secret).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update(TERMINATOR).digest();
}

// --- Canonical URI ------------------------------------------------------------------

/**
 * Non-S3 services sign the path normalised (empty, '.' and '..' segments removed,
 * as the SDKs do before signing) and then URI-encoded once more on top of the
 * wire encoding: `/tags/arn%3Aaws` is signed as `/tags/arn%253Aaws`.
 */
function canonicalUri(path: string): string {
  if (path === '/' || path === '') return '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(encodeRfc3986(segment));
  }
  const lead = path.charCodeAt(0) === SLASH ? '/' : '';
  const trail = segments.length > 0 && path.charCodeAt(path.length - 1) === SLASH ? '/' : '';
  return lead + segments.join('/') + trail;
}

const SLASH = 0x2f;

/** S3 signs the path as it is on the wire: no normalising, no second encoding (the object stores Capstan writes to check it so). */
function s3CanonicalUri(path: string): string {
  return path === '' ? '/' : path;
}

// --- Canonical query string ---------------------------------------------------------

/**
 * Each name and value is decoded and re-encoded per RFC 3986, so clients that
 * put '%7E' or a raw '~' on the wire both land on the same canonical form.
 */
function canonicalQueryString(query: string, presigned: boolean): string {
  if (query === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = canonicalQueryComponent(eq < 0 ? part : part.slice(0, eq));
    // A presigned URL cannot sign its own signature.
    if (presigned && name === SIGNATURE_PARAM) continue;
    pairs.push([name, eq < 0 ? '' : canonicalQueryComponent(part.slice(eq + 1))]);
  }
  if (pairs.length > 1) pairs.sort(compareByNameThenValue);
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i]!;
    out += (i === 0 ? '' : '&') + name + '=' + value;
  }
  return out;
}

/** Sorting whole `name=value` strings would put `a-b=` before `a=`; AWS sorts by name first. */
function compareByNameThenValue(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function canonicalQueryComponent(raw: string): string {
  if (UNRESERVED_ONLY.test(raw)) return raw;
  return percentEncode(percentDecode(raw));
}

function decodeQueryComponent(raw: string): string {
  return raw.includes('%') || raw.includes('+') ? percentDecode(raw).toString('utf8') : raw;
}

/**
 * Byte-level so malformed UTF-8 or a stray '%' cannot throw (decodeURIComponent
 * would); a '%' not followed by two hex digits stays literal. '+' is a space, as
 * in form encoding: AWS SDKs never send a raw '+', and hand-rolled signers that
 * do (e.g. the `aws4` npm package) decode it that way before signing.
 */
function percentDecode(raw: string): Buffer {
  const src = Buffer.from(raw, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i]!;
    if (byte === PERCENT && i + 2 < src.length && HEX_VALUE[src[i + 1]!]! >= 0 && HEX_VALUE[src[i + 2]!]! >= 0) {
      out[n++] = (HEX_VALUE[src[i + 1]!]! << 4) | HEX_VALUE[src[i + 2]!]!;
      i += 2;
    } else {
      out[n++] = byte === PLUS ? SPACE : byte;
    }
  }
  return out.subarray(0, n);
}

const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;

// --- RFC 3986 encoding --------------------------------------------------------------

const UNRESERVED_ONLY = /^[A-Za-z0-9\-._~]*$/;

function encodeRfc3986(text: string): string {
  return UNRESERVED_ONLY.test(text) ? text : percentEncode(Buffer.from(text, 'utf8'));
}

function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += ENCODED_BYTE[bytes[i]!];
  return out;
}

/** Per byte: itself if unreserved, else its upper-case %XX escape. */
const ENCODED_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const char = String.fromCharCode(b);
  return UNRESERVED_ONLY.test(char) ? char : '%' + b.toString(16).toUpperCase().padStart(2, '0');
});

/** Per byte: its value as a hex digit, or -1. */
const HEX_VALUE: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let d = 0; d < 10; d++) table[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    table[0x41 + d] = 10 + d;
    table[0x61 + d] = 10 + d;
  }
  return table;
})();

// --- Headers --------------------------------------------------------------------------

function canonicalHeaders(headers: IncomingSignedRequest['headers'], signed: readonly string[]): string {
  let out = '';
  for (const name of signed) out += name + ':' + (headerValue(headers, name) ?? '') + '\n';
  return out;
}

function hasHeader(headers: IncomingSignedRequest['headers'], name: string): boolean {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0);
}

/** The canonical value of a header: repeated headers joined by ',' as AWS specifies. */
function headerValue(headers: IncomingSignedRequest['headers'], name: string): string | undefined {
  // Guarded lookup: `headers['constructor']` must not find Object.prototype's.
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (typeof value === 'string') return canonicalHeaderText(value);
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (value.length === 1) return canonicalHeaderText(value[0]!);
  return value.map(canonicalHeaderText).join(',');
}

const INNER_WHITESPACE_TO_FIX = /[\t\r\n]| {2}/;
const WHITESPACE_RUN = /[ \t\r\n]+/g;

/**
 * Collapses whitespace runs and trims exactly as the SDK signer does. Not
 * String#trim: that also strips characters like U+00A0 which the SDK keeps.
 */
function canonicalHeaderText(value: string): string {
  // Almost every value is already canonical; answer that without allocating.
  const last = value.length - 1;
  if (last < 0) return value;
  if (value.charCodeAt(0) !== SPACE && value.charCodeAt(last) !== SPACE && !INNER_WHITESPACE_TO_FIX.test(value)) {
    return value;
  }
  let text = value.replace(WHITESPACE_RUN, ' ');
  if (text.charCodeAt(0) === SPACE) text = text.slice(1);
  if (text.charCodeAt(text.length - 1) === SPACE) text = text.slice(0, -1);
  return text;
}

/** A header that must have a single value; a sole value in an array (headersDistinct) counts as one. */
function soleHeader(headers: IncomingSignedRequest['headers'], name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (typeof value === 'string' || value === undefined) return value;
  if (value.length === 0) return undefined;
  if (value.length === 1) return value[0];
  throw new SigV4Error('incomplete', `Only one '${name}' header may be sent.`);
}
