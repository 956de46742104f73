import type { StepResult } from '@capstan/wire';
import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { invalidPluginName, invocationDoesNotExist } from './errors.js';
import { commandService } from './slot.js';
import { FINISHED_COMMAND, invocationStatus } from './status.js';
import { tables } from './store.js';
import { commandView } from './views.js';

const MAX_PIECES = 500;

/**
 * What changed in a command since a cursor: statuses of the invocations that changed and the
 * output pieces that arrived, in order. Waits (up to WaitSeconds) for something to change, so a
 * follower sees output as soon as the node sends it, not at its next poll.
 */
export async function followCommand(call: CallContext, i: { CommandId: string; Cursor?: string; WaitSeconds?: number }) {
  const svc = commandService(call.core);
  const cmd = await svc.command(call, i.CommandId);
  const [seenChange, seenOutput] = parseCursor(i.Cursor);
  const db = tables(call.core.database.db);
  const read = async () => {
    const invocations = await db.selectFrom('command_invocations').selectAll().where('command_id', '=', i.CommandId).where('change_seq', '>', seenChange).orderBy('change_seq').limit(MAX_PIECES).execute();
    const output = await db.selectFrom('command_output').selectAll().where('command_id', '=', i.CommandId).where('seq', '>', seenOutput).orderBy('seq').limit(MAX_PIECES).execute();
    return { invocations, output };
  };
  let got = await read();
  const wait = Math.min(i.WaitSeconds ?? 0, 20) * 1000;
  if (wait > 0 && got.invocations.length === 0 && got.output.length === 0 && !FINISHED_COMMAND.has(cmd.status)) {
    await svc.events.next(i.CommandId, wait);
    got = await read();
  }
  const now = (await svc.command(call, i.CommandId)) ?? cmd;
  const changeTo = got.invocations.length ? Number(got.invocations[got.invocations.length - 1]!.change_seq) : seenChange;
  const outputTo = got.output.length ? Number(got.output[got.output.length - 1]!.seq) : seenOutput;
  return {
    Command: commandView(now),
    Invocations: got.invocations.map((r) => ({
      InstanceId: r.instance_id,
      InstanceName: r.instance_name,
      Status: invocationStatus(r.status_details),
      StatusDetails: r.status_details,
      ResponseCode: r.response_code,
      Steps: (JSON.parse(r.plugins) as StepResult[]).map((s) => ({ Name: s.name, Status: s.status, ResponseCode: s.code, StdoutBytes: s.stdoutBytes, StderrBytes: s.stderrBytes })),
    })),
    Output: got.output.map((o) => ({ InstanceId: o.instance_id, PluginName: o.step, Stream: o.stream, Offset: Number(o.offset), Data: Buffer.from(o.data) })),
    Cursor: `${changeTo}.${outputTo}`,
    // Done only when nothing more is to come: finished, and this answer was not cut short.
    Done: FINISHED_COMMAND.has(now.status) && got.invocations.length < MAX_PIECES && got.output.length < MAX_PIECES,
  };
}

function parseCursor(c: string | undefined): [number, number] {
  if (!c) return [0, 0];
  const m = /^(\d+)\.(\d+)$/.exec(c);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** A stream's whole stored output from a byte offset, in pieces of up to 1 MiB per call. */
export async function commandOutput(call: CallContext, i: { CommandId: string; InstanceId: string; PluginName?: string; StepIndex?: number; Stream: 'stdout' | 'stderr'; Offset?: number; MaxBytes?: number }) {
  await commandService(call.core).command(call, i.CommandId);
  const db = tables(call.core.database.db);
  const inv = await db.selectFrom('command_invocations').select(['final', 'plugins']).where('command_id', '=', i.CommandId).where('instance_id', '=', i.InstanceId).executeTakeFirst();
  if (!inv) throw invocationDoesNotExist(`Command ${i.CommandId} has no invocation on ${i.InstanceId}.`);
  const steps = JSON.parse(inv.plugins) as StepResult[];
  const name = i.PluginName ?? steps[i.StepIndex ?? -1]?.name;
  if (name === undefined) throw invalidPluginName(i.StepIndex !== undefined ? `The invocation has ${steps.length} step(s); there is no step ${i.StepIndex}.` : 'Name the step with PluginName or StepIndex.');
  const from = i.Offset ?? 0;
  const max = Math.min(i.MaxBytes ?? 1024 * 1024, 8 * 1024 * 1024);
  const rows = await db
    .selectFrom('command_output')
    .select(['offset', 'data'])
    .where('command_id', '=', i.CommandId)
    .where('instance_id', '=', i.InstanceId)
    .where('step', '=', name)
    .where('stream', '=', i.Stream)
    .where('offset', '<', from + max)
    .orderBy('offset')
    .execute();
  const parts: Buffer[] = [];
  let at = from;
  let end = 0;
  for (const r of rows) {
    const off = Number(r.offset);
    const data = Buffer.from(r.data);
    end = Math.max(end, off + data.length);
    if (off + data.length <= at) continue;
    parts.push(data.subarray(Math.max(0, at - off), Math.min(data.length, from + max - off)));
    at = Math.min(off + data.length, from + max);
  }
  const step = steps.find((s) => s.name === name);
  const total = step ? (i.Stream === 'stdout' ? step.stdoutBytes : step.stderrBytes) : end;
  return { Data: Buffer.concat(parts), NextOffset: at, TotalBytes: Math.max(total, end), Complete: inv.final === 1 && at >= Math.max(total, end) };
}

/** Not AWS operations: Capstan's own, on the same endpoint, signed and authorized like the rest. */
export const followOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CapstanFollowCommand',
    action: 'ssm:GetCommandInvocation',
    input: z.object({ CommandId: z.string().length(36), Cursor: z.string().max(64).optional(), WaitSeconds: z.number().int().min(0).max(20).optional() }),
    handler: (i, c) => followCommand(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanGetCommandOutput',
    action: 'ssm:GetCommandInvocation',
    input: z.object({
      CommandId: z.string().length(36),
      InstanceId: z.string().regex(/(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/),
      PluginName: z.string().min(1).max(256).optional(),
      StepIndex: z.number().int().min(0).max(1000).optional(),
      Stream: z.enum(['stdout', 'stderr']),
      Offset: z.number().int().min(0).optional(),
      MaxBytes: z.number().int().min(1).optional(),
    }),
    handler: (i, c) => commandOutput(c, i),
  }),
];
