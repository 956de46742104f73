import { StepFailure } from '../errors.js';
import type { Action } from './types.js';
import { parameterValue } from './parameters.js';

/** Where AWS keeps webhook integrations for aws:invokeWebhook: a parameter per integration. */
export const WEBHOOK_PARAMETER_PREFIX = '/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/';

export async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number, method = 'POST'): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'user-agent': 'capstan-automation', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  const text = (await res.text()).slice(0, 64 * 1024);
  return { status: res.status, text };
}

/**
 * aws:invokeWebhook: IntegrationName names a parameter under AWS's integration path holding
 * `{"url": …, "headers": [{"key","value"}], "description": …}`; Body is sent as is. Not repeated after a crash.
 */
export const invokeWebhook: Action = {
  repeatable: () => false,
  async run(ctx) {
    const name = String(ctx.inputs.IntegrationName ?? '');
    const raw = await parameterValue(ctx, `${WEBHOOK_PARAMETER_PREFIX}${name}`);
    let integration: { url?: unknown; headers?: unknown };
    try {
      integration = JSON.parse(raw) as typeof integration;
    } catch {
      throw new StepFailure(`The webhook integration ${name} is not JSON with a url.`);
    }
    if (typeof integration.url !== 'string' || !/^https?:\/\//.test(integration.url)) throw new StepFailure(`The webhook integration ${name} has no http(s) url.`);
    const headers: Record<string, string> = {};
    if (Array.isArray(integration.headers)) for (const h of integration.headers as { key?: unknown; value?: unknown }[]) if (typeof h.key === 'string') headers[h.key] = String(h.value ?? '');
    const timeout = Math.max(1000, ctx.deadline - ctx.now);
    const res = await postJson(integration.url, ctx.inputs.Body ?? '', headers, Math.min(timeout, 60_000));
    const outputs = { Response: res.text, ResponseCode: res.status };
    if (res.status >= 400) return { status: 'Failed', message: `The webhook answered HTTP ${res.status}.`, outputs, responseCode: String(res.status) };
    return { status: 'Success', outputs, response: outputs, responseCode: String(res.status) };
  },
};
