import { authorize } from '../iam/authorize.js';
import { principalOf, type Actor } from '../protocol/actor.js';
import type { Core } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import { callWebhook, checkEndpoint, connectionService, retryableStatus } from '../rules/index.js';

/**
 * LAMBDA and STEP_FUNCTIONS tasks run as webhooks: Capstan has neither service, and an HTTP
 * endpoint is what an operator's own function or workflow engine answers on. TaskArn is an
 * EventBridge API destination ARN (its connection keeps the credentials, sealed) or a plain
 * http(s) URL without credentials.
 */
export type WebhookTarget = { kind: 'url'; url: string } | { kind: 'destination'; arn: string };

const DESTINATION = /^arn:aws[^:]*:events:([^:]+):(\d{12}):api-destination\/[^/]+(\/[^/]+)?$/;

export async function webhookTarget(core: Core, account: string, region: string, taskArn: string, refuse: (m: string) => Error): Promise<WebhookTarget> {
  if (/^https?:\/\//i.test(taskArn)) {
    try {
      checkEndpoint(taskArn);
    } catch (err) {
      throw refuse(`TaskArn: ${(err as Error).message.replace(/^InvocationEndpoint/, 'the URL')}`);
    }
    return { kind: 'url', url: taskArn };
  }
  const m = DESTINATION.exec(taskArn);
  if (!m) throw refuse(`TaskArn ${taskArn}: Capstan runs LAMBDA and STEP_FUNCTIONS tasks as webhooks; give an http(s) URL or an EventBridge API destination ARN (arn:aws:events:${region}:${account}:api-destination/NAME/ID). See docs/maintenance-windows.md.`);
  if (m[1] !== region || m[2] !== account) throw refuse(`TaskArn: API destination ${taskArn} is not of this account and region.`);
  if (!(await connectionService(core).apiDestinationByArn(account, region, taskArn))) throw refuse(`TaskArn: API destination ${taskArn} does not exist.`);
  return { kind: 'destination', arn: taskArn };
}

export interface WebhookCall {
  account: string;
  region: string;
  actor: Actor;
  taskArn: string;
  headers: Record<string, string>;
  body: string;
}

/** How one try went: done (2xx, or an answer not worth repeating), or worth another try. */
export type WebhookOutcome = { ok: boolean; retry: boolean; details: string };

export async function sendWebhook(core: Core, c: WebhookCall): Promise<WebhookOutcome> {
  let endpoint = c.taskArn;
  let method = 'POST';
  let authorizationType = 'NONE';
  let auth = {};
  if (!/^https?:\/\//i.test(c.taskArn)) {
    const connections = connectionService(core);
    const dest = await connections.apiDestinationByArn(c.account, c.region, c.taskArn);
    if (!dest) return { ok: false, retry: false, details: `API destination ${c.taskArn} does not exist.` };
    const now = core.clock.now();
    try {
      await authorize({
        principal: await principalOf(core, c.actor),
        action: 'events:InvokeApiDestination',
        resources: [dest.arn],
        context: { 'aws:CurrentTime': new Date(now).toISOString(), 'aws:EpochTime': Math.floor(now / 1000), 'aws:RequestedRegion': c.region, 'aws:SourceAccount': c.account },
        tags: core.resourceTags,
      });
    } catch (err) {
      if (isAwsError(err)) return { ok: false, retry: false, details: `${err.code}: ${err.message}`.slice(0, 250) };
      throw err;
    }
    const conn = await connections.connectionByArn(c.account, c.region, dest.connection_arn);
    if (!conn) return { ok: false, retry: false, details: `Connection ${dest.connection_arn} of API destination ${dest.name} does not exist.` };
    endpoint = dest.endpoint;
    method = dest.http_method;
    authorizationType = conn.authorization_type;
    auth = connections.secrets(conn);
  }
  let status: number;
  try {
    status = await callWebhook({ endpoint, method, authorizationType, auth, http: { HeaderParameters: c.headers }, body: c.body });
  } catch (err) {
    const e = err as Error;
    const why = e.name === 'TimeoutError' ? 'did not answer within 5 seconds' : `could not be reached: ${e.cause instanceof Error ? e.cause.message : e.message}`;
    return { ok: false, retry: true, details: `${endpoint} ${why}`.slice(0, 250) };
  }
  if (status >= 200 && status < 300) return { ok: true, retry: false, details: `HTTP ${status}` };
  return { ok: false, retry: retryableStatus(status), details: `${endpoint} answered HTTP ${status}`.slice(0, 250) };
}
