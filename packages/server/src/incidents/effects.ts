import type { StoredEvent } from '../events/log.js';
import { callAs } from '../protocol/actor.js';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import type { Job } from '../scheduler/scheduler.js';
import { stableUuid } from './arns.js';
import type { Delivery } from './delivery.js';
import type { EngagementService } from './engagements.js';
import { CHAT_JOB, ENGAGE_JOB, RUNBOOK_JOB, type IncidentService, type PlanInput } from './records.js';
import type { IncidentTables } from './tables.js';

export const INCIDENTS_SERVICE = 'ssm-incidents.amazonaws.com';
const SENDER = 'Capstan Incident Manager';
const STEP_EVENT = 'EC2 Automation Step Status-change Notification';
const EXECUTION_EVENT = 'EC2 Automation Execution Status-change Notification';

type Payload = { account: string; region: string; incident: string };

/**
 * What starting an incident sets in motion, each step a job that may run again after a crash and
 * lands once (stable idempotency tokens and timeline event ids), and each recorded on the
 * incident's timeline.
 */
export function wireEffects(core: Core, incidents: IncidentService, engagements: EngagementService, delivery: Delivery): void {
  core.scheduler.handle(ENGAGE_JOB, async (job: Job) => {
    const p = job.payload as Payload & { contact: string };
    const r = await incidents.incident(p.account, p.region, p.incident).catch(() => undefined);
    if (!r || r.status !== 'OPEN') return;
    const e = await engagements.start(p.account, p.region, {
      ContactId: p.contact,
      Sender: SENDER,
      Subject: `[Incident, impact ${r.impact}] ${r.title}`,
      Content: `${r.title}\n${r.summary ? `\n${r.summary}\n` : ''}\nIncident: ${r.arn}`,
      IncidentId: r.arn,
      IdempotencyToken: stableUuid('engage', r.arn, p.contact),
    });
    await incidents.event(incidents.db, r.arn, 'Engagement Started', { contact: p.contact, engagementArn: e.arn }, e.started_at, [{ resource: e.arn }], stableUuid('engaged', r.arn, p.contact));
  });

  core.scheduler.handle(CHAT_JOB, async (job: Job) => {
    const p = job.payload as Payload & { url: string; text: string };
    await delivery.chat(p.account, p.url, p.text);
    await incidents.event(incidents.db, p.incident, 'Chat Message Sent', { channel: new URL(p.url).host, text: p.text }, core.clock.now(), [], stableUuid('chat', job.id));
  });

  core.scheduler.handle(RUNBOOK_JOB, async (job: Job) => {
    const p = job.payload as Payload & { index: number };
    const r = await incidents.incident(p.account, p.region, p.incident).catch(() => undefined);
    if (!r) return;
    const plan = await incidents.plan(p.account, p.region, r.plan_arn).catch(() => undefined);
    const action = plan ? (JSON.parse(plan.actions) as NonNullable<PlanInput['actions']>)[p.index]?.ssmAutomation : undefined;
    if (!action) return;
    const role = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(action.roleArn);
    const parameters: Record<string, string[]> = { ...action.parameters };
    for (const [name, dyn] of Object.entries(action.dynamicParameters ?? {})) if (dyn.variable === 'INCIDENT_RECORD_ARN') parameters[name] = [r.arn];
    let executionId: string;
    try {
      if (!role) throw new Error(`${action.roleArn} is not a role ARN`);
      const out = await callAs(core, { kind: 'role', accountId: role[1]!, roleName: role[2]!, sessionName: 'IncidentManager' }, p.region, 'ssm', 'StartAutomationExecution', {
        DocumentName: action.documentName,
        ...(action.documentVersion ? { DocumentVersion: action.documentVersion } : {}),
        Parameters: parameters,
        ClientToken: stableUuid('runbook', r.arn, String(p.index)),
      });
      executionId = String(out.AutomationExecutionId);
    } catch (e) {
      // A runbook that cannot start is the responders' to know about, not a reason to retry forever.
      await incidents.event(incidents.db, r.arn, 'Runbook Failed To Start', { documentName: action.documentName, error: (e as Error).message }, core.clock.now(), [], stableUuid('runbook-failed', r.arn, String(p.index)));
      return;
    }
    const executionArn = `arn:aws:ssm:${p.region}:${p.account}:automation-execution/${executionId}`;
    await incidents.db.transaction().execute(async (trx) => {
      await trx.insertInto('im_runbooks').values({ execution_id: executionId, incident_arn: r.arn, document_name: action.documentName }).onConflict((oc) => oc.column('execution_id').doNothing()).execute();
      const related = await trx.selectFrom('im_related_items').select('item_key').where('incident_arn', '=', r.arn).where('item_key', '=', `AUTOMATION ${executionArn}`).executeTakeFirst();
      if (!related) await incidents.addItem(trx, r.arn, { identifier: { type: 'AUTOMATION', value: { arn: executionArn } }, title: action.documentName }, core.clock.now());
      await incidents.event(trx, r.arn, 'Runbook Started', { documentName: action.documentName, executionId }, core.clock.now(), [{ resource: executionArn }], stableUuid('runbook', r.arn, String(p.index)));
    });
  });

  // Every step of an incident's runbook reaches its timeline in the transaction that records the step.
  core.events.onAppend(async (events: readonly StoredEvent[], db: AnyDb) => {
    const relevant = events.filter((e) => e.source === 'aws.ssm' && (e.detailType === STEP_EVENT || e.detailType === EXECUTION_EVENT));
    if (relevant.length === 0) return;
    const t = db.withTables<IncidentTables>() as unknown as IncidentService['db'];
    const ids = [...new Set(relevant.map((e) => String(e.detail.ExecutionId ?? '')))];
    const links = new Map((await t.selectFrom('im_runbooks').selectAll().where('execution_id', 'in', ids).execute()).map((l) => [l.execution_id, l]));
    for (const e of relevant) {
      const link = links.get(String(e.detail.ExecutionId ?? ''));
      if (!link) continue;
      const d = e.detail;
      const step = e.detailType === STEP_EVENT;
      await incidents.event(t, link.incident_arn, step ? 'Automation Step' : 'Automation Execution', { documentName: link.document_name, executionId: d.ExecutionId, ...(step ? { stepName: d.StepName, action: d.Action } : {}), status: d.Status }, e.time, [{ resource: e.resources[0] ?? '' }], stableUuid('automation', e.id));
    }
  });

  engagements.onAcknowledge(async (db, e, page, contact, at) => {
    if (!e.incident_id) return;
    const r = await db.selectFrom('im_incidents').selectAll().where('account_id', '=', e.account_id).where('region', '=', e.region).where('arn', '=', e.incident_id).executeTakeFirst();
    if (!r) return;
    if (r.acknowledged_at === null) await db.updateTable('im_incidents').set({ acknowledged_at: at }).where('account_id', '=', r.account_id).where('region', '=', r.region).where('arn', '=', r.arn).execute();
    await incidents.event(db, r.arn, 'Engagement Acknowledged', { contact, engagementArn: e.arn, pageArn: page.arn }, at, [{ resource: page.arn }]);
  });
}
