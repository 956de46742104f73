import { createHmac, hkdfSync, randomUUID, timingSafeEqual } from 'node:crypto';
import { timeOrderedId } from '../audit/ids.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Core } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { responsePlanArn } from './arns.js';
import { incidentsOf, optionsSlot } from './slot.js';

export const ALERTS_PATH = '/capstan/v1/incidents/alerts';
const MAX_RAW = 10_000;

/**
 * The bearer token of one response plan's alert endpoint: derived from the root key, so it is
 * never stored, is the same on every replica, and names one plan in one account and region.
 */
export function alertToken(rootKey: Buffer, account: string, region: string, plan: string): string {
  const key = Buffer.from(hkdfSync('sha256', rootKey, Buffer.from(account, 'utf8'), Buffer.from('capstan incident alerts v1', 'utf8'), 32));
  return createHmac('sha256', key).update(`${region}\u0000${plan}`).digest('base64url');
}

/**
 * Each alert lands in the audit trail like a call: who sent it (the plan's token bearer, from
 * where), and what it did. A refused one is recorded without an account, as an unauthenticated
 * call is, so nobody can write into an account's trail by guessing its URL.
 */
function audit(core: Core, req: FastifyRequest, f: { account: string; region: string; plan: string; status: string; error?: string; incident?: string }): void {
  const now = core.clock.now();
  const resources = f.incident ? [{ type: 'AWS::SSMIncidents::IncidentRecord', name: f.incident }] : [];
  const ua = req.headers['user-agent'];
  core.audit.record({
    event: {
      event_id: timeOrderedId(now),
      request_id: randomUUID(),
      account_id: f.error ? '' : f.account,
      region: f.error ? '' : f.region,
      event_time: now,
      event_source: 'ssm-incidents.amazonaws.com',
      event_name: 'CapstanAlert',
      read_only: 0,
      principal_arn: '',
      principal_id: '',
      principal_type: f.error ? '' : 'AlertToken',
      username: f.error ? '' : `alert-endpoint/${f.plan}`,
      access_key_id: '',
      source_ip: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      user_agent: (typeof ua === 'string' ? ua : '').slice(0, 1024),
      error_code: f.error ?? null,
      error_message: f.error ? 'The alert endpoint refused the request.' : null,
      request_parameters: JSON.stringify({ region: f.region, account: f.account, responsePlan: f.plan, status: f.status }),
      resources: JSON.stringify(resources),
    },
    resources,
  });
}

/** Alertmanager's webhook body (version 4), and the few members a generic sender may use instead. */
interface AlertBody {
  status?: string;
  groupKey?: string;
  externalURL?: string;
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  alerts?: { labels?: Record<string, string>; annotations?: Record<string, string> }[];
  title?: string;
  impact?: number;
}

/**
 * `POST /capstan/v1/incidents/alerts/REGION/ACCOUNT/PLAN` with `Authorization: Bearer TOKEN`:
 * a firing alert starts an incident from the plan (deduplicated by the plan's dedupe string), a
 * resolved one is noted on the open incidents it started. Never unauthenticated: without the
 * plan's token the answer is 401 and nothing is written.
 */
export function attachAlertEndpoint(app: FastifyInstance, core: Core): void {
  app.post(`${ALERTS_PATH}/:region/:account/:plan`, async (req, reply) => {
    const { region, account, plan } = req.params as { region: string; account: string; plan: string };
    const auth = req.headers.authorization ?? '';
    const given = Buffer.from(/^Bearer (.+)$/i.exec(auth)?.[1]?.trim() ?? '');
    const want = Buffer.from(alertToken(core.rootKey, account, region, plan));
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      audit(core, req, { account, region, plan, status: '', error: 'UnrecognizedClientException' });
      return reply.code(401).send({ message: 'The alert endpoint needs the response plan\'s token: Authorization: Bearer <token> (CapstanGetIncidentAlertEndpoint).' });
    }
    let body: AlertBody;
    let raw: string;
    try {
      raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : JSON.stringify(req.body ?? {});
      body = JSON.parse(raw || '{}') as AlertBody;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return reply.code(400).send({ message: 'The alert body must be a JSON object (an Alertmanager webhook, or {"title": …, "impact": 1-5}).' });
    }
    if (body.impact !== undefined && !(Number.isInteger(body.impact) && body.impact >= 1 && body.impact <= 5)) return reply.code(400).send({ message: 'impact must be an integer from 1 to 5.' });
    const incidents = incidentsOf(core);
    const planArn = responsePlanArn(account, plan);
    const exists = await incidents.plan(account, region, planArn).catch(() => undefined);
    if (!exists) return reply.code(404).send({ message: `Response plan ${plan} does not exist.` });
    const now = core.clock.now();
    if (body.status === 'resolved') {
      const open = (await incidents.incidents(account, region)).filter((r) => r.plan_arn === planArn && r.status === 'OPEN' && (JSON.parse(r.source) as { source?: string }).source === 'capstan.alert');
      for (const r of open) await incidents.event(incidents.db, r.arn, 'Alert Resolved', { groupKey: body.groupKey ?? '', alerts: body.alerts?.length ?? 0 }, now);
      audit(core, req, { account, region, plan, status: 'resolved' });
      return reply.code(202).send({ resolved: open.map((r) => r.arn) });
    }
    const title = (body.title ?? body.commonAnnotations?.summary ?? body.commonLabels?.alertname ?? '').slice(0, 200);
    const out = await incidents.start(
      account,
      region,
      planArn,
      { ...(title ? { title } : {}), ...(body.impact !== undefined ? { impact: body.impact } : {}), triggerDetails: { source: 'capstan.alert', timestamp: now, rawData: raw.slice(0, MAX_RAW) } },
      { createdBy: `${ALERTS_PATH}/${region}/${account}/${plan}`, source: 'capstan.alert' },
    );
    audit(core, req, { account, region, plan, status: body.status ?? 'firing', incident: out.arn });
    return reply.code(202).send({ incidentRecordArn: out.arn, created: out.created });
  });
}

/** Not an AWS operation: where a plan's alert endpoint is and its token, for those allowed to start incidents from the plan. */
export const alertOperations = [
    defineOperation({
      service: SSM,
      name: 'CapstanGetIncidentAlertEndpoint',
      action: 'ssm-incidents:StartIncident',
      input: z.object({ ResponsePlanArn: z.string().max(1000).regex(/^arn:aws(-cn|-us-gov)?:ssm-incidents::[0-9]{12}:response-plan\/[a-zA-Z0-9_-]{1,200}$/) }),
      resources: (i) => [i.ResponsePlanArn],
      handler: async (i, c) => {
        const p = await incidentsOf(c.core).plan(c.accountId, c.region, i.ResponsePlanArn);
        const base = optionsSlot.get(c.core).publicUrl?.() ?? '';
        return { Url: `${base}${ALERTS_PATH}/${c.region}/${c.accountId}/${p.name}`, Token: alertToken(c.core.rootKey, c.accountId, c.region, p.name) };
      },
    }),
];
