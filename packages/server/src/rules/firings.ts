import type { Kysely } from 'kysely';
import type { CallContext } from '../protocol/context.js';
import { decodeToken, encodeToken } from './names.js';
import type { FiringRow, RuleTables } from './tables.js';

export interface FiringQuery {
  RuleName?: string | undefined;
  TargetId?: string | undefined;
  EventId?: string | undefined;
  Status?: string | undefined;
  NextToken?: string | undefined;
  Limit?: number | undefined;
}

/** The record of rule firings, newest first. */
export async function listFirings(db: Kysely<RuleTables>, call: CallContext, i: FiringQuery) {
  const scope = JSON.stringify(['firings', call.accountId, call.region, i.RuleName ?? '', i.TargetId ?? '', i.EventId ?? '', i.Status ?? '']);
  const after = decodeToken(i.NextToken, scope);
  let q = db.selectFrom('event_rule_firings').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region);
  if (i.RuleName) q = q.where('rule_name', '=', i.RuleName);
  if (i.TargetId) q = q.where('target_id', '=', i.TargetId);
  if (i.EventId) q = q.where('event_id', '=', i.EventId);
  if (i.Status) q = q.where('status', '=', i.Status);
  if (after !== undefined) {
    const [at, id] = [Number(after.slice(0, after.indexOf('|'))), after.slice(after.indexOf('|') + 1)];
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('firing_id', '<', id)])]));
  }
  const limit = i.Limit ?? 50;
  const rows = await q.orderBy('created_at', 'desc').orderBy('firing_id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { Firings: page.map(firingView), ...(rows.length > limit && last ? { NextToken: encodeToken(scope, `${last.created_at}|${last.firing_id}`) } : {}) };
}

export function firingView(r: FiringRow) {
  return {
    FiringId: r.firing_id,
    RuleName: r.rule_name,
    RuleArn: r.rule_arn,
    TargetId: r.target_id,
    TargetArn: r.target_arn,
    EventId: r.event_id,
    EventSource: r.event_source,
    EventDetailType: r.event_detail_type,
    Event: r.event,
    CreatedTime: new Date(Number(r.created_at)),
    Status: r.status,
    Attempts: r.attempts,
    ...(r.finished_at !== null ? { FinishedTime: new Date(Number(r.finished_at)) } : {}),
    ...(r.execution_id ? { AutomationExecutionId: r.execution_id } : {}),
    ...(r.command_id ? { CommandId: r.command_id } : {}),
    ...(r.http_status !== null ? { HttpStatus: r.http_status } : {}),
    ...(r.error_code ? { ErrorCode: r.error_code, ErrorMessage: r.error_message } : {}),
  };
}
