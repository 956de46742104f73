import { z } from 'zod';
import { findOperation } from '../protocol/actor.js';
import type { CallContext } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { invokeAs } from '../protocol/pipeline.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { incidentConflict, incidentNotFound } from './errors.js';
import { metricsOf } from './records.js';
import { incidentsOf } from './slot.js';
import type { AnalysisRow, IncidentRow, RelatedItemRow, TimelineRow } from './tables.js';
import { isUniqueViolation } from '../store/errors.js';

const RECORD_ARN = /^arn:aws(-cn|-us-gov)?:ssm-incidents::[0-9]{12}:incident-record\/[a-zA-Z0-9_-]{1,200}\/[0-9a-f-]{36}$/;

/** The questions an analysis starts from when none are given. */
export const DEFAULT_QUESTIONS = [
  'What happened, and who was affected?',
  'How was the incident detected, and could it have been detected sooner?',
  'What mitigated it, and could that have been faster?',
  'What will prevent it from happening again?',
];

type Question = { question: string; answer?: string | undefined };
type ActionItem = { title: string; description?: string | undefined; priority?: number | undefined; opsItemId?: string };

const duration = (s: number | undefined) => (s === undefined ? 'not yet' : s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
const iso = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString());
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The analysis as a Markdown document: the record, its metrics, the answers, the timeline, the related items and the action items. */
export function renderAnalysis(r: IncidentRow, a: AnalysisRow, timeline: TimelineRow[], items: RelatedItemRow[]): string {
  const m = metricsOf(r);
  const questions = JSON.parse(a.questions) as Question[];
  const actions = JSON.parse(a.action_items) as ActionItem[];
  const out = [
    `# Post-incident analysis: ${r.title}`,
    '',
    `- Incident: ${r.arn}`,
    `- Status: ${r.status}`,
    `- Impact: ${r.impact}`,
    `- Opened: ${iso(r.created_at)}`,
    `- Acknowledged: ${iso(r.acknowledged_at)}`,
    `- Resolved: ${iso(r.resolved_at)}`,
    '',
    '## Metrics',
    '',
    `- Time to acknowledge: ${duration(m.timeToAcknowledgeSeconds)}`,
    `- Time to resolve: ${duration(m.timeToResolveSeconds)}`,
    '',
  ];
  if (r.summary) out.push('## Summary', '', r.summary, '');
  out.push('## Questions', '');
  for (const q of questions) out.push(`### ${q.question}`, '', q.answer?.trim() ? q.answer : '_Not answered yet._', '');
  out.push('## Timeline', '', '| time | event | details |', '|---|---|---|');
  for (const e of timeline) out.push(`| ${iso(e.event_time)} | ${cell(e.event_type)} | ${cell(e.event_data)} |`);
  out.push('');
  if (items.length) {
    out.push('## Related items', '');
    for (const i of items) out.push(`- ${i.item_type}: ${cell(i.title || JSON.stringify(JSON.parse(i.item_value)))}`);
    out.push('');
  }
  out.push('## Action items', '');
  if (actions.length === 0) out.push('_None._');
  for (const x of actions) out.push(`- [ ] ${x.title}${x.opsItemId ? ` (OpsItem ${x.opsItemId})` : ''}${x.description ? ` — ${cell(x.description)}` : ''}`);
  out.push('');
  return out.join('\n');
}

/** Each action item becomes an OpsItem, created as the caller through the same path as their own CreateOpsItem. */
async function raise(c: CallContext, r: IncidentRow, x: ActionItem): Promise<string> {
  const op = findOperation(c.core, 'ssm', 'CreateOpsItem');
  if (!op) throw new AwsError('ValidationException', 'OpsCenter is not available on this server, so action items cannot become OpsItems.');
  const outcome = await invokeAs(c.core, {
    service: op.service,
    op,
    principal: c.principal,
    region: c.region,
    input: { Title: x.title, Description: `${x.description ?? x.title}\n\nAction item of the post-incident analysis of ${r.arn}.`, Source: 'ssm-incidents', ...(x.priority !== undefined ? { Priority: x.priority } : {}), OpsItemType: '/aws/issue' },
    sourceIp: c.sourceIp,
    userAgent: c.userAgent,
  });
  if ('error' in outcome) throw outcome.error;
  return String((outcome.output as { OpsItemId: string }).OpsItemId);
}

/** Deletes OpsItems this call made, as the caller; a failure here is logged, the call's own error is what the caller sees. */
async function withdraw(c: CallContext, ids: string[]): Promise<void> {
  const op = findOperation(c.core, 'ssm', 'DeleteOpsItem');
  if (!op) return;
  for (const id of ids) {
    const outcome = await invokeAs(c.core, { service: op.service, op, principal: c.principal, region: c.region, input: { OpsItemId: id }, sourceIp: c.sourceIp, userAgent: c.userAgent });
    if ('error' in outcome) console.warn(`post-incident analysis: OpsItem ${id} of a failed analysis could not be removed: ${outcome.error.message}`);
  }
}

const recordArn = z.string().max(1000).regex(RECORD_ARN);

export const analysisOperations = [
  defineOperation({
    service: SSM,
    name: 'CapstanCreateIncidentAnalysis',
    action: 'ssm-incidents:UpdateIncidentRecord',
    input: z.object({
      IncidentRecordArn: recordArn,
      Questions: z.array(z.object({ Question: z.string().min(1).max(1000), Answer: z.string().max(20000).optional() })).max(50).optional(),
      ActionItems: z.array(z.object({ Title: z.string().min(1).max(1024), Description: z.string().max(2048).optional(), Priority: z.number().int().min(1).max(5).optional() })).max(20).optional(),
    }),
    resources: (i) => [i.IncidentRecordArn],
    handler: async (i, c) => {
      const svc = incidentsOf(c.core);
      const r = await svc.incident(c.accountId, c.region, i.IncidentRecordArn);
      const existing = await svc.db.selectFrom('im_analyses').select('incident_arn').where('incident_arn', '=', r.arn).executeTakeFirst();
      if (existing) throw incidentConflict(`Incident ${r.arn} already has a post-incident analysis.`, 'INCIDENT_RECORD', r.arn);
      const questions: Question[] = i.Questions?.length ? i.Questions.map((q) => ({ question: q.Question, answer: q.Answer })) : DEFAULT_QUESTIONS.map((q) => ({ question: q }));
      // Checked before any OpsItem is made, so a caller who may not create them gets an error and no stray OpsItems.
      if (i.ActionItems?.length) await c.authorize('ssm:CreateOpsItem', ['*']);
      const actions: ActionItem[] = [];
      try {
        for (const x of i.ActionItems ?? []) actions.push({ title: x.Title, description: x.Description, priority: x.Priority, opsItemId: await raise(c, r, { title: x.Title, description: x.Description, priority: x.Priority }) });
        await svc.db.transaction().execute(async (trx) => {
          await trx.insertInto('im_analyses').values({ incident_arn: r.arn, account_id: c.accountId, region: c.region, questions: JSON.stringify(questions), action_items: JSON.stringify(actions), created_at: c.now, created_by: c.principal.arn }).execute();
          await svc.event(trx, r.arn, 'Analysis Created', { by: c.principal.arn, actionItems: actions.map((x) => x.opsItemId) }, c.now);
        });
      } catch (e) {
        // No half-made analysis: the action items' OpsItems made before the failure go with it, so a retry does not duplicate them.
        await withdraw(c, actions.map((x) => x.opsItemId!));
        // Another call made the analysis while this one raised its OpsItems.
        if (isUniqueViolation(e)) throw incidentConflict(`Incident ${r.arn} already has a post-incident analysis.`, 'INCIDENT_RECORD', r.arn);
        throw e;
      }
      return { IncidentRecordArn: r.arn, ActionItems: actions.map((x) => ({ Title: x.title, OpsItemId: x.opsItemId })) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanExportIncidentAnalysis',
    action: 'ssm-incidents:GetIncidentRecord',
    input: z.object({ IncidentRecordArn: recordArn, Format: z.enum(['Markdown']).optional() }),
    resources: (i) => [i.IncidentRecordArn],
    handler: async (i, c) => {
      const svc = incidentsOf(c.core);
      const r = await svc.incident(c.accountId, c.region, i.IncidentRecordArn);
      const a = await svc.db.selectFrom('im_analyses').selectAll().where('incident_arn', '=', r.arn).executeTakeFirst();
      if (!a) throw incidentNotFound(`Incident ${r.arn} has no post-incident analysis; create it with CapstanCreateIncidentAnalysis.`, 'INCIDENT_RECORD', r.arn);
      const m = metricsOf(r);
      return { Format: 'Markdown', Content: renderAnalysis(r, a, await svc.timeline(r.arn), await svc.items(r.arn)), ...(m.timeToAcknowledgeSeconds !== undefined ? { TimeToAcknowledgeSeconds: m.timeToAcknowledgeSeconds } : {}), ...(m.timeToResolveSeconds !== undefined ? { TimeToResolveSeconds: m.timeToResolveSeconds } : {}) };
    },
  }),
];
