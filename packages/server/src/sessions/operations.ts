import { z } from 'zod';
import { documentArnFor } from '../documents/index.js';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { instanceArn, nodeService } from '../nodes/index.js';
import type { CallContext } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { invalidFilterKey, validation } from './errors.js';
import { transcriptPath } from './http.js';
import { ACTIVE, PREFERENCES_DOCUMENT, sessionArn } from './service.js';
import { sessionService } from './slot.js';
import type { SessionRow } from './tables.js';

const target = z.string().min(1).max(400);
const sessionId = z.string().min(1).max(96);
const STATUSES = ['Connected', 'Connecting', 'Disconnected', 'Terminated', 'Terminating', 'Failed'];

function sessionView(call: CallContext, r: SessionRow) {
  return {
    SessionId: r.session_id,
    Target: r.target,
    Status: r.status,
    StartDate: new Date(r.started_at),
    ...(r.ended_at !== null ? { EndDate: new Date(r.ended_at) } : {}),
    DocumentName: r.document_name,
    Owner: r.owner,
    ...(r.reason ? { Reason: r.reason } : {}),
    ...(r.details ? { Details: r.details } : {}),
    // AWS names the S3 object or log stream of the session's log; Capstan's log is the relay's transcript.
    OutputUrl: { S3OutputUrl: `${sessionService(call.core).publicUrl()}${transcriptPath(r.session_id)}` },
    ...(r.max_session_duration ? { MaxSessionDuration: r.max_session_duration } : {}),
  };
}

const isAfter = (a: unknown): a is [number, string] => Array.isArray(a) && a.length === 2 && typeof a[0] === 'number' && typeof a[1] === 'string';

async function describeSessions(call: CallContext, i: { State: 'Active' | 'History'; MaxResults?: number; NextToken?: string; Filters?: { key: string; value: string }[] }) {
  const scope = JSON.stringify(['sessions', call.accountId, call.region, i.State, i.Filters ?? []]);
  const after = decodeToken(i.NextToken, scope, isAfter);
  const limit = i.MaxResults ?? 20;
  let q = sessionService(call.core).db.selectFrom('sessions').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region);
  q = i.State === 'Active' ? q.where('status', 'in', ACTIVE) : q.where('status', 'not in', ACTIVE);
  for (const f of i.Filters ?? []) {
    switch (f.key) {
      case 'InvokedAfter':
      case 'InvokedBefore': {
        const t = Date.parse(f.value);
        if (Number.isNaN(t)) throw validation(`Filter ${f.key} needs a time such as 2026-11-26T08:00:00Z, not ${f.value}.`);
        q = q.where('started_at', f.key === 'InvokedAfter' ? '>=' : '<=', t);
        break;
      }
      case 'Target':
        q = q.where('target', '=', f.value);
        break;
      case 'Owner':
        q = q.where('owner', '=', f.value);
        break;
      case 'Status':
        if (!STATUSES.includes(f.value)) throw validation(`Filter Status takes one of ${STATUSES.join(', ')}, not ${f.value}.`);
        q = q.where('status', '=', f.value);
        break;
      case 'SessionId':
        q = q.where('session_id', '=', f.value);
        break;
      case 'AccessType':
        if (f.value !== 'Standard') q = q.where('session_id', '=', '');
        break;
      default:
        throw invalidFilterKey(`Filter key ${f.key} is not valid: use InvokedAfter, InvokedBefore, Target, Owner, Status, SessionId or AccessType.`);
    }
  }
  if (after) q = q.where((eb) => eb.or([eb('started_at', '<', after[0]), eb.and([eb('started_at', '=', after[0]), eb('session_id', '<', after[1])])]));
  const rows = await q.orderBy('started_at', 'desc').orderBy('session_id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { Sessions: page.map((r) => sessionView(call, r)), ...(rows.length > limit && last ? { NextToken: encodeToken(scope, [last.started_at, last.session_id]) } : {}) };
}

export const sessionOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'StartSession',
    input: z.object({
      Target: target,
      DocumentName: z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/).optional(),
      Reason: z.string().min(1).max(256).regex(/^.{1,256}$/).optional(),
      Parameters: z.record(z.string().min(1).max(255), z.array(z.string().min(1).max(65535))).optional(),
    }),
    // Interactive-command documents take command lines, which may hold secrets.
    sensitive: ['Parameters'],
    // Both ARNs, as AWS checks them: a policy may limit the nodes (by tag) and the documents.
    resources: async (i, c) => [instanceArn(c.region, c.accountId, i.Target), await documentArnFor(c, i.DocumentName ?? PREFERENCES_DOCUMENT)],
    handler: (i, c) => sessionService(c.core).startSession(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'ResumeSession',
    input: z.object({ SessionId: sessionId }),
    resources: (i, c) => [sessionArn(c.region, c.accountId, i.SessionId)],
    // The session's owner may always resume it; anyone else needs ssm:ResumeSession on its ARN (checked in the handler).
    authorization: 'none',
    handler: (i, c) => sessionService(c.core).resume(c, i.SessionId),
  }),
  defineOperation({
    service: SSM,
    name: 'TerminateSession',
    input: z.object({ SessionId: sessionId }),
    resources: (i, c) => [sessionArn(c.region, c.accountId, i.SessionId)],
    handler: (i, c) => sessionService(c.core).terminate(c, i.SessionId),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeSessions',
    input: z.object({
      State: z.enum(['Active', 'History']),
      MaxResults: z.number().int().min(1).max(200).optional(),
      NextToken: z.string().optional(),
      Filters: z.array(z.object({ key: z.string(), value: z.string().min(1).max(400) })).min(1).max(6).optional(),
    }),
    handler: (i, c) => describeSessions(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'GetConnectionStatus',
    input: z.object({ Target: target }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.Target)],
    handler: async (i, c) => {
      const nodes = nodeService(c.core);
      const row = await nodes.instance(c.accountId, c.region, i.Target);
      return { Target: i.Target, Status: row && (await nodes.channelReplica(i.Target)) ? 'connected' : 'notconnected' };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanGetSessionTranscript',
    // Reading what happened in a session is part of describing it.
    action: 'ssm:DescribeSessions',
    input: z.object({ SessionId: sessionId }),
    resources: (i, c) => [sessionArn(c.region, c.accountId, i.SessionId)],
    handler: async (i, c) => {
      const svc = sessionService(c.core);
      const row = await svc.session(c, i.SessionId);
      const events = await svc.transcriptOf(row.session_id);
      return { SessionId: row.session_id, Events: events.map((e) => ({ Time: new Date(e.at), Stream: e.stream, Data: e.data })) };
    },
  }),
];
