import { createHash } from 'node:crypto';
import { automationService } from '../automation/index.js';
import { COMPLIANCE_EVENT } from '../compliance/index.js';
import type { StoredEvent } from '../events/log.js';
import { TASK_EVENT } from '../maintenance/index.js';
import { instanceArn, NODE_STATUS_EVENT, nodeService } from '../nodes/index.js';
import { POLICY_EVENT } from '../parameters/index.js';
import type { CallContext, Core } from '../protocol/context.js';
import type { Job } from '../scheduler/scheduler.js';
import { AUTOMATION_EXECUTION } from './filters.js';
import { AUTO_RULES, readRule, type AutoRule, type AutoRuleDef } from './rules.js';
import type { OpsItemInput, OpsItemService } from './service.js';

const AUTO_JOB = 'opscenter.auto';
const AUTOMATION_EVENT = 'EC2 Automation Execution Status-change Notification';
const NODE_ID = /^(mi|i)-[0-9a-f]{8,17}$/;
/** How far back a threshold check reads the event log for a node's later status. */
const MAX_LATER_EVENTS = 50_000;

interface Trigger {
  rule: AutoRuleDef;
  /** What the job turns into an OpsItem, or undefined when the condition no longer holds. */
  build(core: Core, e: StoredEvent, runbooks: string[], thresholdMs: number | null): Promise<OpsItemInput | undefined>;
  /** An automation execution to link to the item as a related item. */
  execution?(e: StoredEvent): string | undefined;
}

const rule = (name: string) => AUTO_RULES.find((r) => r.name === name)!;
const hashed = (kind: string, ...parts: string[]) => `capstan/${kind}/${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
const automations = (names: string[]) => JSON.stringify([...new Set(names)].map((automationId) => ({ automationType: 'AWS:SSM:Automation', automationId })));
const resources = (arns: string[]) => JSON.stringify(arns.map((arn) => ({ arn })));
const str = (v: unknown) => (typeof v === 'string' ? v : '');

function data(arns: string[], dedup: string, runbooks: string[], extra: Record<string, string>) {
  return {
    '/aws/resources': { Value: resources(arns), Type: 'SearchableString' as const },
    '/aws/dedup': { Value: JSON.stringify({ dedupString: dedup }), Type: 'SearchableString' as const },
    ...(runbooks.length ? { '/aws/automations': { Value: automations(runbooks), Type: 'SearchableString' as const } } : {}),
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v).map(([k, v]) => [k, { Value: v, Type: 'SearchableString' as const }])),
  };
}

/** Whether nothing written since `e` says the condition ended (`ended` picks the events that would). */
async function lasted(core: Core, e: StoredEvent, ended: (later: StoredEvent) => boolean): Promise<boolean> {
  const later = await core.events.list({ accountId: e.accountId, region: e.region, detailType: e.detailType, since: e.time, limit: MAX_LATER_EVENTS });
  return !later.some((x) => x.id !== e.id && ended(x));
}

const TRIGGERS: Record<string, Trigger> = {
  [AUTOMATION_EVENT]: {
    rule: rule('AutomationFailed'),
    execution: (e) => str(e.detail.ExecutionId),
    async build(core, e, runbooks) {
      const status = str(e.detail.Status);
      if (!['Failed', 'TimedOut'].includes(status) || e.detail.ParentExecutionId) return undefined;
      const id = str(e.detail.ExecutionId);
      const doc = str(e.detail.Definition);
      // Only the account and region are read from the call: the rule acts for the account itself.
      const ex = await automationService(core).get({ accountId: e.accountId, region: e.region } as CallContext, id);
      const params = JSON.parse(ex.parameters) as Record<string, string[]>;
      const nodes = [...new Set([...Object.values(params).flat(), ex.target].filter((v) => NODE_ID.test(v)))];
      const arns = nodes.length ? nodes.map((n) => instanceArn(e.region, e.accountId, n)) : [`arn:aws:ssm:${e.region}:${e.accountId}:automation-execution/${id}`];
      return {
        Title: `Automation ${doc} ${status === 'Failed' ? 'failed' : 'timed out'}${nodes.length ? ` on ${nodes.join(', ')}` : ''}`,
        Description: `Automation execution ${id} of runbook ${doc} ended ${status}.${ex.failure_message ? `\n\n${ex.failure_message}` : ''}`,
        Source: 'Automation',
        Category: 'Availability',
        Severity: '2',
        Priority: 2,
        OperationalData: data(arns, hashed('automation-failed', doc, ...arns), [...runbooks, doc], { executionId: id, runbook: doc }),
      };
    },
  },
  [TASK_EVENT]: {
    rule: rule('MaintenanceWindowTaskFailed'),
    async build(_core, e, runbooks) {
      const status = str(e.detail.status);
      if (!['FAILED', 'TIMED_OUT'].includes(status)) return undefined;
      const window = str(e.detail['window-id']);
      const task = str(e.detail['window-task-id']);
      const what = `${str(e.detail['task-type'])} task ${str(e.detail['task-arn'])}`;
      return {
        Title: `Maintenance window ${window}: ${what} ${status === 'FAILED' ? 'failed' : 'timed out'}`.slice(0, 1024),
        Description: `Task execution ${str(e.detail['task-execution-id'])} of window execution ${str(e.detail['window-execution-id'])} ended ${status}.${e.detail['status-details'] ? `\n\n${str(e.detail['status-details'])}` : ''}`,
        Source: 'Maintenance Window',
        Category: 'Availability',
        Severity: '2',
        Priority: 2,
        // One open item per task: a task failing at every opening counts occurrences on it.
        OperationalData: data(e.resources, `capstan/maintenance-task-failed/${window}/${task}`, runbooks, { windowId: window, windowTaskId: task, windowExecutionId: str(e.detail['window-execution-id']), taskExecutionId: str(e.detail['task-execution-id']) }),
      };
    },
  },
  [NODE_STATUS_EVENT]: {
    rule: rule('NodeConnectionLost'),
    async build(core, e, runbooks, thresholdMs) {
      if (e.detail['ping-status'] !== 'ConnectionLost') return undefined;
      const node = str(e.detail['instance-id']);
      if (!(await lasted(core, e, (x) => x.detail['instance-id'] === node))) return undefined;
      const nodes = nodeService(core);
      const row = await nodes.instance(e.accountId, e.region, node);
      if (!row || nodes.pingStatus(row, core.clock.now()) === 'Online') return undefined;
      const arn = instanceArn(e.region, e.accountId, node);
      const name = str(e.detail['computer-name']);
      const minutes = Math.round((thresholdMs ?? 0) / 60_000);
      return {
        Title: `Managed node ${node}${name ? ` (${name})` : ''} is ConnectionLost`,
        Description: `Managed node ${node} has been ConnectionLost for more than ${minutes} minutes; it was last seen ${str(e.detail['last-ping-date-time']) || 'never'}.`,
        Source: 'Managed Node',
        Category: 'Availability',
        Severity: '2',
        Priority: 2,
        OperationalData: data([arn], `capstan/node-connection-lost/${node}`, runbooks, { instanceId: node }),
      };
    },
  },
  [COMPLIANCE_EVENT]: {
    rule: rule('PatchNonCompliant'),
    async build(core, e, runbooks, thresholdMs) {
      if (e.detail['compliance-type'] !== 'Patch' || e.detail['compliance-status'] !== 'non_compliant') return undefined;
      const node = str(e.detail['resource-id']);
      if (!(await lasted(core, e, (x) => x.detail['resource-id'] === node && x.detail['compliance-type'] === 'Patch'))) return undefined;
      const days = Math.round(((thresholdMs ?? 0) / 86_400_000) * 10) / 10;
      return {
        Title: `Managed node ${node} is non-compliant for patches`,
        Description: `Managed node ${node} has been non-compliant for Patch for more than ${days} days (highest severity: ${str(e.detail.severity) || 'unspecified'}).`,
        Source: 'Patch Manager',
        Category: 'Security',
        Severity: e.detail.severity === 'critical' ? '1' : '2',
        Priority: 2,
        OperationalData: data([instanceArn(e.region, e.accountId, node)], `capstan/patch-non-compliant/${node}`, runbooks, { instanceId: node }),
      };
    },
  },
  [POLICY_EVENT]: {
    rule: rule('ParameterPolicy'),
    async build(_core, e, runbooks) {
      const name = str(e.detail['parameter-name']);
      const policy = str(e.detail['policy-type']);
      const what = policy === 'Expiration' ? 'expired and was deleted' : policy === 'ExpirationNotification' ? 'expires soon' : 'has not changed for longer than its policy allows';
      return {
        Title: `Parameter ${name} ${what}`,
        Description: `The ${policy} policy of parameter ${name} (version ${String(e.detail['parameter-version'] ?? '')}) acted.`,
        Source: 'Parameter Store',
        Category: 'Recovery',
        Severity: policy === 'Expiration' ? '2' : '3',
        Priority: 3,
        OperationalData: data(e.resources, `capstan/parameter-policy/${policy}/${name}`.slice(0, 256), runbooks, { parameterName: name }),
      };
    },
  },
};

/**
 * OpsCenter's subscription to Capstan's events: each event one of its rules watches becomes a
 * durable job in the event's own transaction, due at once or when the rule's threshold has
 * passed; the job checks the condition still holds and creates (or deduplicates into) an OpsItem.
 */
export function subscribe(core: Core, items: OpsItemService): void {
  core.events.onAppend(async (events, db) => {
    // A sweep writes many events of one rule at once: its settings are read once per batch.
    const rules = new Map<string, Promise<AutoRule>>();
    for (const e of events) {
      const trigger = TRIGGERS[e.detailType];
      if (!trigger) continue;
      const key = `${e.accountId}\u0000${e.region}\u0000${trigger.rule.name}`;
      if (!rules.has(key)) rules.set(key, readRule(db, e.accountId, e.region, trigger.rule));
      const r = await rules.get(key)!;
      if (!r.enabled) continue;
      await core.scheduler.enqueue({ kind: AUTO_JOB, dueAt: e.time + (r.thresholdMs ?? 0), dedupeKey: e.id, maxAttempts: 5, payload: { event: e } }, db);
    }
  });
  core.scheduler.handle(AUTO_JOB, (job) => run(core, items, job));
}

async function run(core: Core, items: OpsItemService, job: Job): Promise<void> {
  const e = (job.payload as { event: StoredEvent }).event;
  const trigger = TRIGGERS[e.detailType];
  if (!trigger) return;
  const r = await readRule(core.database.db, e.accountId, e.region, trigger.rule);
  if (!r.enabled) return;
  const input = await trigger.build(core, e, r.runbooks, r.thresholdMs);
  if (!input) return;
  const who = { accountId: e.accountId, region: e.region, arn: `arn:aws:ssm:${e.region}:${e.accountId}:opscenter-rule/${r.name}` };
  const execution = trigger.execution?.(e);
  await items.create(who, input, { source: e.source, detailType: e.detailType, detail: e.detail }, async (db, id) => {
    if (execution) await items.associate(who, id, { AssociationType: 'RelatesTo', ResourceType: AUTOMATION_EXECUTION, ResourceUri: `arn:aws:ssm:${e.region}:${e.accountId}:automation-execution/${execution}` }, db);
    await job.settle(db);
  });
}
