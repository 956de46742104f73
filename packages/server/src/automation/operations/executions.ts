import { z } from 'zod';
import { decodeToken, encodeToken } from '../../documents/paging.js';
import { targetSchema } from '../../nodes/index.js';
import type { CallContext } from '../../protocol/context.js';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { SSM } from '../../protocol/services.js';
import { executionArn } from '../events.js';
import { invalidFilterKey, invalidFilterValue } from '../errors.js';
import { executionsOfOpsItems } from '../ops-items.js';
import { definitionArn } from '../service.js';
import { automationService } from '../slot.js';
import { automationStore as store, tables } from '../store.js';
import { executionView, metadataView, stepView } from '../views.js';

export const executionId = z.string().length(36);
const CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const parameterMap = z.record(z.string().min(1).max(50), z.array(z.string().max(512)).max(50));
export const startInput = z.object({
  DocumentName: z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/),
  DocumentVersion: z.string().regex(/^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$/).optional(),
  Parameters: parameterMap.optional(),
  ClientToken: z.string().regex(/^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$/).optional(),
  Mode: z.enum(['Auto', 'Interactive']).optional(),
  TargetParameterName: z.string().min(1).max(50).optional(),
  Targets: z.array(targetSchema).max(1).optional(),
  TargetMaps: z.array(z.record(z.string().min(1).max(50), z.array(z.string()).max(25))).max(300).optional(),
  MaxConcurrency: z.string().min(1).max(7).regex(CONCURRENCY).optional(),
  MaxErrors: z.string().min(1).max(7).regex(ERRORS).optional(),
  TargetLocations: z.array(z.unknown()).max(100).optional(),
  Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).max(1000).optional(),
  AlarmConfiguration: z.unknown().optional(),
  TargetLocationsURL: z.string().optional(),
});

const FILTER_KEYS = ['DocumentNamePrefix', 'ExecutionStatus', 'ExecutionId', 'ParentExecutionId', 'CurrentAction', 'StartTimeBefore', 'StartTimeAfter', 'AutomationType', 'TagKey', 'TargetResourceGroup', 'AutomationSubtype', 'OpsItemId'] as const;
const STEP_FILTER_KEYS = ['StartTimeBefore', 'StartTimeAfter', 'StepExecutionStatus', 'StepExecutionId', 'StepName', 'Action', 'ParentStepExecutionId', 'ParentStepIteration', 'ParentStepIteratorValue'] as const;
const filterList = (keys: readonly string[]) =>
  z
    .array(z.object({ Key: z.string(), Values: z.array(z.string().min(1).max(150)).min(1).max(10) }))
    .min(1)
    .max(10)
    .optional();

const executionResource = (c: Pick<CallContext, 'region' | 'accountId'>, id: string) => executionArn({ region: c.region, account_id: c.accountId, execution_id: id });

function time(key: string, value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidFilterValue(`Filter ${key} takes a time such as 2024-05-01T12:00:00Z, not ${value}.`);
  return t;
}

async function describeExecutions(c: CallContext, i: { Filters?: { Key: string; Values: string[] }[]; MaxResults?: number; NextToken?: string }) {
  let q = tables(c.core.database.db).selectFrom('automation_executions').selectAll().where('account_id', '=', c.accountId).where('region', '=', c.region);
  for (const f of i.Filters ?? []) {
    if (!(FILTER_KEYS as readonly string[]).includes(f.Key)) throw invalidFilterKey(`${f.Key} is not a filter key of DescribeAutomationExecutions (${FILTER_KEYS.join(', ')}).`);
    const v = f.Values;
    switch (f.Key) {
      case 'DocumentNamePrefix':
        q = q.where((eb) => eb.or(v.map((p) => eb('document_name', 'like', `${p.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`))));
        break;
      case 'ExecutionStatus':
        q = q.where('status', 'in', v);
        break;
      case 'ExecutionId':
        q = q.where('execution_id', 'in', v);
        break;
      case 'ParentExecutionId':
        q = q.where('parent_id', 'in', v);
        break;
      case 'CurrentAction':
        q = q.where('current_action', 'in', v);
        break;
      case 'StartTimeBefore':
        q = q.where('started_at', '<=', time(f.Key, v[0]!));
        break;
      case 'StartTimeAfter':
        q = q.where('started_at', '>=', time(f.Key, v[0]!));
        break;
      case 'AutomationType':
        q = q.where('automation_type', 'in', v);
        break;
      case 'AutomationSubtype':
        q = q.where('automation_subtype', 'in', v);
        break;
      case 'TagKey':
        q = q.where((eb) => eb.or(v.map((k) => eb('tags', 'like', `%"Key":${JSON.stringify(k).replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`))));
        break;
      case 'OpsItemId': {
        const ids = await executionsOfOpsItems(c.core, c.accountId, c.region, v);
        q = ids.length ? q.where('execution_id', 'in', ids) : q.where('execution_id', '=', '');
        break;
      }
      default:
        // TargetResourceGroup: nothing in Capstan carries it yet, so nothing matches.
        q = q.where('execution_id', '=', '');
    }
  }
  const scope = JSON.stringify(i.Filters ?? []);
  const offset = decodeToken(i.NextToken, scope, (a): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0) ?? 0;
  const limit = i.MaxResults ?? 50;
  const rows = await q.orderBy('started_at', 'desc').orderBy('execution_id').limit(limit + 1).offset(offset).execute();
  return {
    AutomationExecutionMetadataList: rows.slice(0, limit).map(metadataView),
    ...(rows.length > limit ? { NextToken: encodeToken(scope, offset + limit) } : {}),
  };
}

async function describeSteps(c: CallContext, i: { AutomationExecutionId: string; Filters?: { Key: string; Values: string[] }[]; MaxResults?: number; NextToken?: string; ReverseOrder?: boolean }) {
  await automationService(c.core).get(c, i.AutomationExecutionId);
  let rows = await store.steps(tables(c.core.database.db), i.AutomationExecutionId);
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  for (const f of i.Filters ?? []) {
    if (!(STEP_FILTER_KEYS as readonly string[]).includes(f.Key)) throw invalidFilterKey(`${f.Key} is not a filter key of DescribeAutomationStepExecutions (${STEP_FILTER_KEYS.join(', ')}).`);
    const v = f.Values;
    rows = rows.filter((r) => {
      switch (f.Key) {
        case 'StartTimeBefore':
          return r.started_at !== null && r.started_at <= time(f.Key, v[0]!);
        case 'StartTimeAfter':
          return r.started_at !== null && r.started_at >= time(f.Key, v[0]!);
        case 'StepExecutionStatus':
          return v.includes(r.status);
        case 'StepExecutionId':
          return v.includes(r.step_execution_id);
        case 'StepName':
          return v.includes(r.step_name);
        case 'Action':
          return v.includes(r.action);
        case 'ParentStepExecutionId':
          return r.parent_seq !== null && v.includes(bySeq.get(r.parent_seq)?.step_execution_id ?? '');
        case 'ParentStepIteration':
          return r.iteration !== null && v.includes(String(r.iteration));
        default:
          return r.iterator_value !== null && v.includes(r.iterator_value);
      }
    });
  }
  if (i.ReverseOrder) rows.reverse();
  const scope = `${i.AutomationExecutionId}|${JSON.stringify(i.Filters ?? [])}|${i.ReverseOrder ? 1 : 0}`;
  const offset = decodeToken(i.NextToken, scope, (a): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0) ?? 0;
  const limit = i.MaxResults ?? 50;
  const page = rows.slice(offset, offset + limit);
  return {
    StepExecutions: page.map(stepView),
    ...(offset + limit < rows.length ? { NextToken: encodeToken(scope, offset + limit) } : {}),
  };
}

/** AWS returns at most this many steps in GetAutomationExecution (StepExecutionsTruncated beyond). */
const STEPS_SHOWN = 1000;

export const executionOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'StartAutomationExecution',
    input: startInput,
    sensitive: ['Parameters'],
    resources: (i, c) => [definitionArn(c, i.DocumentName)],
    handler: async (i, c) => ({ AutomationExecutionId: await automationService(c.core).start(c, i) }),
  }),
  defineOperation({
    service: SSM,
    name: 'GetAutomationExecution',
    input: z.object({ AutomationExecutionId: executionId }),
    resources: (i, c) => [executionResource(c, i.AutomationExecutionId)],
    handler: async (i, c) => {
      const row = await automationService(c.core).get(c, i.AutomationExecutionId);
      const db = tables(c.core.database.db);
      const steps = await store.steps(db, row.execution_id);
      const children = row.target_parameter_name || row.target_maps !== '[]' ? await store.children(db, row.execution_id) : [];
      return { AutomationExecution: executionView(row, steps.slice(0, STEPS_SHOWN), steps.length > STEPS_SHOWN, children) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeAutomationExecutions',
    input: z.object({ Filters: filterList(FILTER_KEYS), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    handler: (i, c) => describeExecutions(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeAutomationStepExecutions',
    input: z.object({ AutomationExecutionId: executionId, Filters: filterList(STEP_FILTER_KEYS), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional(), ReverseOrder: z.boolean().optional() }),
    resources: (i, c) => [executionResource(c, i.AutomationExecutionId)],
    handler: (i, c) => describeSteps(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'StopAutomationExecution',
    input: z.object({ AutomationExecutionId: executionId, Type: z.enum(['Complete', 'Cancel']).optional() }),
    resources: (i, c) => [executionResource(c, i.AutomationExecutionId)],
    handler: async (i, c) => {
      await automationService(c.core).stop(c, i.AutomationExecutionId, i.Type ?? 'Cancel');
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'SendAutomationSignal',
    input: z.object({
      AutomationExecutionId: executionId,
      SignalType: z.enum(['Approve', 'Reject', 'StartStep', 'StopStep', 'Resume', 'Revoke']),
      Payload: z.record(z.string().min(1).max(50), z.array(z.string().max(512)).max(50)).optional(),
    }),
    resources: (i, c) => [executionResource(c, i.AutomationExecutionId)],
    handler: async (i, c) => {
      await automationService(c.core).signal(c, i.AutomationExecutionId, i.SignalType, i.Payload ?? {});
      return {};
    },
  }),
];
