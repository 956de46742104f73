import type { AuthParameters, HttpParameters } from './connections.js';
import type { Target } from './targets.js';

/** As API destinations: a request gets 5 seconds. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
const USER_AGENT = 'Capstan-EventBridge-ApiDestinations/1';

export interface WebhookRequest {
  endpoint: string;
  method: string;
  authorizationType: string;
  auth: AuthParameters;
  http: Target['HttpParameters'];
  body: string;
}

/**
 * Sends one event to an API destination: the connection's authorization and parameters, the
 * target's path values, headers and query. Redirects are not followed, so a request goes to
 * the endpoint the user configured and nowhere else. Resolves to the HTTP status.
 */
export async function callWebhook(r: WebhookRequest, signal?: AbortSignal): Promise<number> {
  let path = r.endpoint;
  for (const v of r.http?.PathParameterValues ?? []) path = path.replace('*', encodeURIComponent(v));
  const url = new URL(path);
  const conn: HttpParameters = r.auth.InvocationHttpParameters ?? {};
  for (const p of conn.QueryStringParameters ?? []) url.searchParams.append(p.Key, p.Value ?? '');
  for (const [k, v] of Object.entries(r.http?.QueryStringParameters ?? {})) url.searchParams.append(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT };
  for (const [k, v] of Object.entries(r.http?.HeaderParameters ?? {})) headers[k.toLowerCase()] = v;
  // The connection's own headers and credentials come last: a target cannot replace them.
  for (const p of conn.HeaderParameters ?? []) headers[p.Key.toLowerCase()] = p.Value ?? '';
  if (r.authorizationType === 'BASIC' && r.auth.BasicAuthParameters) {
    const { Username = '', Password = '' } = r.auth.BasicAuthParameters;
    headers.authorization = `Basic ${Buffer.from(`${Username}:${Password}`).toString('base64')}`;
  } else if (r.authorizationType === 'API_KEY' && r.auth.ApiKeyAuthParameters?.ApiKeyName) {
    headers[r.auth.ApiKeyAuthParameters.ApiKeyName.toLowerCase()] = r.auth.ApiKeyAuthParameters.ApiKeyValue ?? '';
  }
  const hasBody = r.method !== 'GET' && r.method !== 'HEAD';
  const timeout = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
  const res = await fetch(url, {
    method: r.method,
    headers,
    ...(hasBody ? { body: withBodyParameters(r.body, conn.BodyParameters) } : {}),
    redirect: 'manual',
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

/** The connection's body parameters join a JSON object body; any other body goes as it is. */
function withBodyParameters(body: string, params: HttpParameters['BodyParameters']): string {
  if (!params?.length) return body;
  try {
    const v = JSON.parse(body) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return body;
    return JSON.stringify({ ...(v as Record<string, unknown>), ...Object.fromEntries(params.map((p) => [p.Key, p.Value ?? ''])) });
  } catch {
    return body;
  }
}

/** EventBridge tries again after these answers (and after no answer); any other 4xx is final. */
export const retryableStatus = (status: number) => status === 401 || status === 407 || status === 409 || status === 429 || status >= 500;
