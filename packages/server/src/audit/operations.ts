import { z } from 'zod';
import { AwsError } from '../protocol/errors.js';
import { defineOperation } from '../protocol/registry.js';
import { CLOUDTRAIL } from '../protocol/services.js';
import type { AuditEventRow } from './tables.js';

const ATTRIBUTE_KEYS = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'] as const;

const epochSeconds = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/).transform(Number)]);

const lookupInput = z.object({
  LookupAttributes: z.array(z.object({ AttributeKey: z.string(), AttributeValue: z.string().min(1).max(2000) })).optional(),
  StartTime: epochSeconds.optional(),
  EndTime: epochSeconds.optional(),
  EventCategory: z.enum(['insight']).optional(),
  MaxResults: z.number().int().optional(),
  NextToken: z.string().optional(),
});

/** CloudTrail's own codes for LookupEvents' bad input. */
const ctError = (code: string, message: string) => new AwsError(code, message, { messageMember: 'Message' });

interface Cursor {
  t: number;
  id: string;
}

function decodeCursor(token: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.t === 'number' && typeof c.id === 'string') return c;
  } catch {
    // fall through to the AWS error below
  }
  throw ctError('InvalidNextTokenException', 'The NextToken is not valid.');
}

const lookupEvents = defineOperation({
  service: CLOUDTRAIL,
  name: 'LookupEvents',
  input: lookupInput,
  handler: async (input, call) => {
    const attrs = input.LookupAttributes ?? [];
    if (attrs.length > 1) throw ctError('InvalidLookupAttributesException', 'You can specify only one lookup attribute.');
    const attr = attrs[0];
    if (attr && !(ATTRIBUTE_KEYS as readonly string[]).includes(attr.AttributeKey)) {
      throw ctError('InvalidLookupAttributesException', `AttributeKey ${attr.AttributeKey} is not one of ${ATTRIBUTE_KEYS.join(', ')}.`);
    }
    if (input.MaxResults !== undefined && (input.MaxResults < 1 || input.MaxResults > 50)) {
      throw ctError('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
    }
    const start = input.StartTime !== undefined ? input.StartTime * 1000 : undefined;
    const end = input.EndTime !== undefined ? input.EndTime * 1000 : undefined;
    if (start !== undefined && end !== undefined && start > end) throw ctError('InvalidTimeRangeException', 'StartTime must be before EndTime.');
    if (input.EventCategory === 'insight') return { Events: [] };
    const before = input.NextToken ? decodeCursor(input.NextToken) : undefined;
    const { events, more } = await call.core.audit.lookup({
      accountId: call.accountId,
      region: call.region,
      limit: input.MaxResults ?? 50,
      ...(start !== undefined ? { startTime: start } : {}),
      ...(end !== undefined ? { endTime: end } : {}),
      ...(attr ? { attribute: { key: attr.AttributeKey, value: attr.AttributeValue } } : {}),
      ...(before ? { before: { time: before.t, id: before.id } } : {}),
    });
    const last = events[events.length - 1];
    return {
      Events: events.map((e) => eventOut(e)),
      ...(more && last ? { NextToken: Buffer.from(JSON.stringify({ t: last.event_time, id: last.event_id })).toString('base64url') } : {}),
    };
  },
});

function eventOut(e: AuditEventRow) {
  const resources = JSON.parse(e.resources) as { type: string; name: string }[];
  return {
    EventId: e.event_id,
    EventName: e.event_name,
    ReadOnly: e.read_only ? 'true' : 'false',
    AccessKeyId: e.access_key_id || undefined,
    EventTime: new Date(e.event_time),
    EventSource: e.event_source,
    Username: e.username || undefined,
    Resources: resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.08',
      userIdentity: { type: e.principal_type, principalId: e.principal_id, arn: e.principal_arn, accountId: e.account_id, accessKeyId: e.access_key_id, userName: e.username },
      eventTime: new Date(e.event_time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: e.event_source,
      eventName: e.event_name,
      awsRegion: e.region,
      sourceIPAddress: e.source_ip,
      userAgent: e.user_agent,
      ...(e.error_code ? { errorCode: e.error_code, errorMessage: e.error_message } : {}),
      requestParameters: JSON.parse(e.request_parameters) as unknown,
      responseElements: null,
      requestID: e.request_id,
      eventID: e.event_id,
      readOnly: e.read_only === 1,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: e.account_id,
    }),
  };
}

export const auditOperations = [lookupEvents];
