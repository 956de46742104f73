import type { StepResult } from '@capstan/wire';
import { z } from 'zod';
import { documentArnFor } from '../documents/index.js';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { targetSchema } from '../nodes/index.js';
import type { CallContext } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { invalidFilterKey, invalidNotificationConfig, invalidPluginName, invocationDoesNotExist, validation } from './errors.js';
import { objectUrl } from '../objects/s3.js';
import { outputKey } from './output-key.js';
import { outputPath } from './http.js';
import { CONCURRENCY_PATTERN, ERRORS_PATTERN } from './rate.js';
import { commandService } from './slot.js';
import { FINISHED_COMMAND } from './status.js';
import { tables } from './store.js';
import type { CommandRow, InvocationRow } from './tables.js';
import { commandView, invocationView, stepInvocationView, type OutputUrl } from './views.js';

const instanceId = z.string().regex(/(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/);
const commandId = z.string().length(36);
const filters = z.array(z.object({ key: z.string(), value: z.string().min(1).max(128) })).min(1).max(5);
const COMMAND_STATUSES = ['Pending', 'InProgress', 'Success', 'Cancelled', 'Failed', 'TimedOut', 'Cancelling'];

/** The command's S3 object when it named a bucket and S3 is configured; Capstan's own output store otherwise. */
export const outputUrl = (call: CallContext): OutputUrl => {
  const svc = commandService(call.core);
  return (cmd, r, step, stream) =>
    cmd.output_s3_bucket && svc.s3
      ? objectUrl(svc.s3, cmd.output_s3_bucket, outputKey(cmd.output_s3_prefix, r.command_id, r.instance_id, step.action, step.name, stream))
      : `${svc.publicUrl()}${outputPath(r.command_id, r.instance_id, Math.max(0, (JSON.parse(r.plugins) as StepResult[]).findIndex((s) => s.name === step.name)), stream)}`;
};

/** The `InvokedAfter`/`InvokedBefore`/`Status`/`ExecutionStage`/`DocumentName` filters, as SQL on a table with the command's columns. */
function filterCommands(list: { key: string; value: string }[] | undefined): ((c: CommandRow) => boolean) | undefined {
  if (!list) return undefined;
  const tests: ((c: CommandRow) => boolean)[] = [];
  for (const f of list) {
    switch (f.key) {
      case 'InvokedAfter':
      case 'InvokedBefore': {
        const t = Date.parse(f.value);
        if (Number.isNaN(t)) throw validation(`Filter ${f.key} needs an ISO 8601 time such as 2026-11-26T08:00:00Z, not ${f.value}.`);
        tests.push(f.key === 'InvokedAfter' ? (c) => c.requested_at >= t : (c) => c.requested_at <= t);
        break;
      }
      case 'Status':
        if (!COMMAND_STATUSES.includes(f.value)) throw validation(`Filter Status takes one of ${COMMAND_STATUSES.join(', ')}, not ${f.value}.`);
        tests.push((c) => c.status === f.value);
        break;
      case 'ExecutionStage':
        if (f.value !== 'Executing' && f.value !== 'Complete') throw validation(`Filter ExecutionStage takes Executing or Complete, not ${f.value}.`);
        tests.push(f.value === 'Complete' ? (c) => FINISHED_COMMAND.has(c.status) : (c) => !FINISHED_COMMAND.has(c.status));
        break;
      case 'DocumentName':
        tests.push((c) => c.document_name === f.value);
        break;
      default:
        throw invalidFilterKey(`Filter key ${f.key} is not valid: use InvokedAfter, InvokedBefore, Status, ExecutionStage or DocumentName.`);
    }
  }
  return (c) => tests.every((t) => t(c));
}

const isAfter = (a: unknown): a is [number, string, string] => Array.isArray(a) && a.length === 3 && typeof a[0] === 'number' && typeof a[1] === 'string' && typeof a[2] === 'string';

/**
 * Commands newest first (as AWS lists them), optionally one command, or those sent to one node.
 * Paged by (requested time, command id), so a page boundary survives new commands.
 */
async function listCommands(call: CallContext, i: { CommandId?: string; InstanceId?: string; MaxResults?: number; NextToken?: string; Filters?: { key: string; value: string }[] }) {
  const keep = filterCommands(i.Filters);
  const scope = JSON.stringify(['commands', call.accountId, call.region, i.CommandId ?? '', i.InstanceId ?? '', i.Filters ?? []]);
  const after = decodeToken(i.NextToken, scope, isAfter);
  const limit = i.MaxResults ?? 50;
  const db = tables(call.core.database.db);
  const out: CommandRow[] = [];
  let cursor = after;
  for (;;) {
    let q = db.selectFrom('commands').selectAll('commands').where('commands.account_id', '=', call.accountId).where('commands.region', '=', call.region);
    if (i.CommandId) q = q.where('commands.command_id', '=', i.CommandId);
    if (i.InstanceId) q = q.innerJoin('command_invocations as ci', (j) => j.onRef('ci.command_id', '=', 'commands.command_id').on('ci.instance_id', '=', i.InstanceId!));
    if (cursor) {
      const [t, id] = cursor;
      q = q.where((eb) => eb.or([eb('commands.requested_at', '<', t), eb.and([eb('commands.requested_at', '=', t), eb('commands.command_id', '<', id)])]));
    }
    const rows = await q.orderBy('commands.requested_at', 'desc').orderBy('commands.command_id', 'desc').limit(200).execute();
    for (const r of rows) {
      if (!keep || keep(r)) out.push(r);
      if (out.length > limit) break;
    }
    if (out.length > limit || rows.length < 200) break;
    const last = rows[rows.length - 1]!;
    cursor = [last.requested_at, last.command_id, ''];
  }
  const page = out.slice(0, limit);
  const last = page[page.length - 1];
  return { Commands: page.map(commandView), ...(out.length > limit && last ? { NextToken: encodeToken(scope, [last.requested_at, last.command_id, '']) } : {}) };
}

async function listInvocations(call: CallContext, i: { CommandId?: string; InstanceId?: string; MaxResults?: number; NextToken?: string; Filters?: { key: string; value: string }[]; Details?: boolean }) {
  const keep = filterCommands(i.Filters);
  const scope = JSON.stringify(['invocations', call.accountId, call.region, i.CommandId ?? '', i.InstanceId ?? '', i.Filters ?? [], i.Details ?? false]);
  const after = decodeToken(i.NextToken, scope, isAfter);
  const limit = i.MaxResults ?? 50;
  const db = tables(call.core.database.db);
  const commands = new Map<string, CommandRow>();
  const out: InvocationRow[] = [];
  let cursor = after;
  for (;;) {
    let q = db.selectFrom('command_invocations').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region);
    if (i.CommandId) q = q.where('command_id', '=', i.CommandId);
    if (i.InstanceId) q = q.where('instance_id', '=', i.InstanceId);
    if (cursor) {
      const [t, c, n] = cursor;
      q = q.where((eb) =>
        eb.or([eb('requested_at', '<', t), eb.and([eb('requested_at', '=', t), eb('command_id', '<', c)]), eb.and([eb('requested_at', '=', t), eb('command_id', '=', c), eb('instance_id', '>', n)])]),
      );
    }
    const rows = await q.orderBy('requested_at', 'desc').orderBy('command_id', 'desc').orderBy('instance_id').limit(200).execute();
    for (const r of rows) {
      let cmd = commands.get(r.command_id);
      if (!cmd) {
        cmd = await db.selectFrom('commands').selectAll().where('command_id', '=', r.command_id).executeTakeFirstOrThrow();
        commands.set(r.command_id, cmd);
      }
      if (!keep || keep(cmd)) out.push(r);
      if (out.length > limit) break;
    }
    if (out.length > limit || rows.length < 200) break;
    const last = rows[rows.length - 1]!;
    cursor = [last.requested_at, last.command_id, last.instance_id];
  }
  const page = out.slice(0, limit);
  const last = page[page.length - 1];
  const url = outputUrl(call);
  return {
    CommandInvocations: page.map((r) => invocationView(r, commands.get(r.command_id)!, i.Details ?? false, url)),
    ...(out.length > limit && last ? { NextToken: encodeToken(scope, [last.requested_at, last.command_id, last.instance_id]) } : {}),
  };
}

async function getInvocation(call: CallContext, i: { CommandId: string; InstanceId: string; PluginName?: string }) {
  const db = tables(call.core.database.db);
  const cmd = await db.selectFrom('commands').selectAll().where('command_id', '=', i.CommandId).where('account_id', '=', call.accountId).where('region', '=', call.region).executeTakeFirst();
  const r = cmd && (await db.selectFrom('command_invocations').selectAll().where('command_id', '=', i.CommandId).where('instance_id', '=', i.InstanceId).executeTakeFirst());
  if (!cmd || !r) throw invocationDoesNotExist(`Command ${i.CommandId} has no invocation on ${i.InstanceId}.`);
  const steps = JSON.parse(r.plugins) as StepResult[];
  let step: StepResult | undefined;
  if (i.PluginName !== undefined) {
    // 1.2 documents name steps `0.aws:runShellScript`; AWS also answers to the plugin's name.
    step = steps.find((s) => s.name === i.PluginName) ?? steps.find((s) => s.action === i.PluginName);
    if (!step) {
      if (r.final === 0 && steps.length === 0) return stepInvocationView(r, cmd, undefined, outputUrl(call));
      throw invalidPluginName(`Invocation ${i.CommandId} on ${i.InstanceId} has no step ${i.PluginName}${steps.length ? `; its steps are ${steps.map((s) => s.name).join(', ')}` : ''}.`);
    }
  } else if (steps.length > 1) {
    throw invalidPluginName(`The document has ${steps.length} steps: name one with PluginName (${steps.map((s) => s.name).join(', ')}).`);
  } else if (r.final === 0 && steps[0] && !['InProgress', 'Pending'].includes(steps[0].status)) {
    // A running document whose only reported step has ended has more to come (a skipped first
    // step, say): its invocation is still running, and saying the step's Success would end it early.
    step = undefined;
  } else step = steps[0];
  return stepInvocationView(r, cmd, step, outputUrl(call));
}

const NOTIFICATION_EVENTS = ['All', 'InProgress', 'Success', 'TimedOut', 'Cancelled', 'Failed'] as const;

export const commandOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'SendCommand',
    input: z.object({
      InstanceIds: z.array(instanceId).max(50).optional(),
      Targets: z.array(targetSchema).max(5).optional(),
      DocumentName: z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/),
      DocumentVersion: z.string().regex(/([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)/).optional(),
      DocumentHash: z.string().max(256).optional(),
      DocumentHashType: z.enum(['Sha256', 'Sha1']).optional(),
      TimeoutSeconds: z.number().int().min(30).max(2_592_000).optional(),
      Comment: z.string().max(100).optional(),
      Parameters: z.record(z.string(), z.array(z.string())).optional(),
      OutputS3Region: z.string().min(3).max(20).optional(),
      OutputS3BucketName: z.string().min(3).max(63).optional(),
      OutputS3KeyPrefix: z.string().max(500).optional(),
      MaxConcurrency: z.string().min(1).max(7).regex(CONCURRENCY_PATTERN).optional(),
      MaxErrors: z.string().min(1).max(7).regex(ERRORS_PATTERN).optional(),
      ServiceRoleArn: z.string().optional(),
      NotificationConfig: z
        .object({ NotificationArn: z.string().optional(), NotificationEvents: z.array(z.enum(NOTIFICATION_EVENTS)).optional(), NotificationType: z.enum(['Command', 'Invocation']).optional() })
        .optional(),
      CloudWatchOutputConfig: z.object({ CloudWatchLogGroupName: z.string().min(1).max(512).optional(), CloudWatchOutputEnabled: z.boolean().optional() }).optional(),
      AlarmConfiguration: z.unknown().optional(),
    }),
    sensitive: ['Parameters'],
    resources: async (i, c) => [await documentArnFor(c, i.DocumentName)],
    handler: async (i, c) => {
      const n = i.NotificationConfig;
      if (n?.NotificationArn && !/^https?:\/\/[^\s]+$/.test(n.NotificationArn)) {
        throw invalidNotificationConfig(`NotificationArn must be the http(s) URL of a webhook (Capstan delivers notifications as signed webhooks, not through SNS), not ${n.NotificationArn}.`);
      }
      if (n && !n.NotificationArn && (n.NotificationEvents?.length || n.NotificationType)) throw invalidNotificationConfig('NotificationConfig needs a NotificationArn: the URL of the webhook to notify.');
      const row = await commandService(c.core).send(c, i);
      return { Command: commandView(row) };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListCommands',
    input: z.object({ CommandId: commandId.optional(), InstanceId: instanceId.optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional(), Filters: filters.optional() }),
    handler: (i, c) => listCommands(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'ListCommandInvocations',
    input: z.object({
      CommandId: commandId.optional(),
      InstanceId: instanceId.optional(),
      MaxResults: z.number().int().min(1).max(50).optional(),
      NextToken: z.string().optional(),
      Filters: filters.optional(),
      Details: z.boolean().optional(),
    }),
    handler: (i, c) => listInvocations(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'GetCommandInvocation',
    input: z.object({ CommandId: commandId, InstanceId: instanceId, PluginName: z.string().min(4).optional() }),
    handler: (i, c) => getInvocation(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'CancelCommand',
    input: z.object({ CommandId: commandId, InstanceIds: z.array(instanceId).max(50).optional() }),
    handler: async (i, c) => {
      await commandService(c.core).cancel(c, i.CommandId, i.InstanceIds);
      return {};
    },
  }),
];


