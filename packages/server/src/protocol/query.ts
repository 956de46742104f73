import { AwsError } from './errors.js';

/**
 * The Query protocol (STS, IAM): form-encoded `Action=…&Version=…` with nested members as
 * `Tags.member.1.Key=…`, answered with XML.
 */
export function decodeQueryParams(params: URLSearchParams): { action: string; version: string; input: Record<string, unknown> } {
  const input: Record<string, unknown> = {};
  let action = '';
  let version = '';
  for (const [key, value] of params) {
    if (key === 'Action') action = value;
    else if (key === 'Version') version = value;
    else if (!key.startsWith('X-Amz-')) assignPath(input, key.split('.'), value);
  }
  return { action, version, input: normaliseLists(input) as Record<string, unknown> };
}

function assignPath(target: Record<string, unknown>, path: string[], value: string): void {
  let cur = target;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') return;
    const next = cur[seg];
    if (next === null || typeof next !== 'object') cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') return;
  cur[last] = value;
}

/** `{ member: { '1': a, '2': b } }` → `[a, b]`; `{ entry: { '1': { key, value } } }` → a map. */
function normaliseLists(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'member' && obj.member && typeof obj.member === 'object') {
    const members = obj.member as Record<string, unknown>;
    return Object.keys(members)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => normaliseLists(members[k]));
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = normaliseLists(obj[k]);
  return out;
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** Objects become elements, arrays become `<member>` lists, dates ISO 8601. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    let out = '';
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out += `<${k}>${toXml(v)}</${k}>`;
    return out;
  }
  return escapeXml(String(value));
}

export function queryResponse(action: string, namespace: string, result: unknown, requestId: string): string {
  const inner = result === undefined || result === null ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  return `<${action}Response xmlns="${namespace}">${inner}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

/** The Query protocol's codes for the failures the JSON protocols name differently. */
const QUERY_CODES: Record<string, { code: string; status: number }> = {
  UnrecognizedClientException: { code: 'InvalidClientTokenId', status: 403 },
  InvalidSignatureException: { code: 'SignatureDoesNotMatch', status: 403 },
  IncompleteSignatureException: { code: 'IncompleteSignature', status: 400 },
  ExpiredTokenException: { code: 'ExpiredToken', status: 400 },
  AccessDeniedException: { code: 'AccessDenied', status: 403 },
  ValidationException: { code: 'ValidationError', status: 400 },
  ThrottlingException: { code: 'Throttling', status: 400 },
  UnknownOperationException: { code: 'InvalidAction', status: 400 },
  SerializationException: { code: 'MalformedInput', status: 400 },
};

export function queryError(error: AwsError, namespace: string, requestId: string): { status: number; body: string } {
  const mapped = QUERY_CODES[error.code];
  const code = mapped?.code ?? error.code;
  const status = mapped?.status ?? error.status;
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const body = `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, body };
}

export const unknownAction = (action: string) =>
  new AwsError('UnknownOperationException', action ? `Could not find operation ${action}` : 'The request must name an Action');
