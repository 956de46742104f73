import { decodeQueryParams } from '../query.js';
import type { AnyOperation } from '../registry.js';

/** A request as it goes on the wire, and the input the server will decode from it. */
export interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** What the protocol adapter hands to validation; undefined when the body is not a JSON object. */
  decoded: unknown;
}

export function jsonRequest(op: AnyOperation, input: unknown): WireRequest {
  const svc = op.service;
  const body = input === undefined ? '' : JSON.stringify(input);
  const decoded = body === '' ? {} : JSON.parse(body);
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': `application/x-amz-json-${svc.jsonVersion ?? '1.1'}`, 'x-amz-target': `${svc.targetPrefix}.${op.name}` },
    body,
    decoded: decoded !== null && typeof decoded === 'object' && !Array.isArray(decoded) ? decoded : undefined,
  };
}

/** Query members flatten as `A.B=…`, lists as `A.member.N`; only strings survive the trip. */
function flatten(value: unknown, prefix: string, out: URLSearchParams): void {
  if (value === undefined) return;
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}.member.${i + 1}`, out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else if (prefix) out.append(prefix, String(value));
}

export function queryRequest(op: AnyOperation, input: unknown): WireRequest {
  const params = new URLSearchParams({ Action: op.name, Version: op.service.apiVersion });
  flatten(input !== null && typeof input === 'object' ? input : {}, '', params);
  const body = params.toString();
  return { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body, decoded: decodeQueryParams(new URLSearchParams(body)).input };
}

/** Longer labels are the router's to refuse (see the test of path labels over its limit). */
const LABEL_MAX = 4096;

function encodableLabel(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    const encoded = encodeURIComponent(v);
    return encoded.length <= LABEL_MAX ? encoded : undefined;
  } catch {
    return undefined;
  }
}

export function restRequest(op: AnyOperation, input: unknown): WireRequest {
  const http = op.http!;
  const members: Record<string, unknown> = input !== null && typeof input === 'object' && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : {};
  const decoded: Record<string, unknown> = {};
  const path = http.path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => {
    const encoded = encodableLabel(members[name]) ?? 'x';
    decoded[name] = decodeURIComponent(encoded);
    delete members[name];
    return encoded;
  });
  const query = new URLSearchParams();
  for (const [member, name] of Object.entries(http.query ?? {})) {
    const v = members[member];
    delete members[member];
    if (v === undefined) continue;
    // One value per name: the signer keys the query string by name, so repeats would not verify.
    const first = Array.isArray(v) ? v[0] : v;
    if (first === undefined) continue;
    const text = typeof first === 'string' ? first : (JSON.stringify(first) ?? '');
    query.append(name, text);
    decoded[member] = text;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [member, name] of Object.entries(http.headers ?? {})) {
    const v = members[member];
    delete members[member];
    if (typeof v === 'string' && /^[\x20-\x7e]*$/.test(v)) {
      headers[name.toLowerCase()] = v;
      decoded[member] = v;
    }
  }
  const hasBody = http.method !== 'GET' && http.method !== 'DELETE';
  const body = hasBody ? JSON.stringify(Array.isArray(input) || typeof input !== 'object' || input === null ? input : members) ?? '' : '';
  const qs = query.toString();
  const bodyDecoded = hasBody && body !== '' ? JSON.parse(body) : {};
  const isObject = bodyDecoded !== null && typeof bodyDecoded === 'object' && !Array.isArray(bodyDecoded);
  return { method: http.method, path: qs ? `${path}?${qs}` : path, headers, body, decoded: isObject ? { ...bodyDecoded, ...decoded } : undefined };
}

export function requestFor(op: AnyOperation, input: unknown): WireRequest {
  const p = op.service.protocol;
  return p === 'json' ? jsonRequest(op, input) : p === 'query' ? queryRequest(op, input) : restRequest(op, input);
}
