import { createHash } from 'node:crypto';
import type { CallContext } from '../protocol/context.js';
import { invalidNextToken, resourceNotFound } from './errors.js';

export const NAME = /^[.\-_A-Za-z0-9]+$/;

export const ruleArn = (region: string, account: string, name: string) => `arn:aws:events:${region}:${account}:rule/${name}`;
export const connectionArn = (region: string, account: string, name: string, id: string) => `arn:aws:events:${region}:${account}:connection/${name}/${id}`;
export const apiDestinationArn = (region: string, account: string, name: string, id: string) => `arn:aws:events:${region}:${account}:api-destination/${name}/${id}`;
/** What IAM checks for a connection or API destination named in a call (their ARNs end in an id the caller may not know). */
export const connectionResource = (c: CallContext, name: string) => `arn:aws:events:${c.region}:${c.accountId}:connection/${name}`;
export const apiDestinationResource = (c: CallContext, name: string) => `arn:aws:events:${c.region}:${c.accountId}:api-destination/${name}`;

/**
 * Capstan's events arrive on each account's default bus, and rules live there: the bus may be
 * named (`default`, or its ARN) but no other exists.
 */
export function checkBus(call: CallContext, bus: string | undefined): void {
  if (bus === undefined || bus === 'default' || bus === `arn:aws:events:${call.region}:${call.accountId}:event-bus/default`) return;
  throw resourceNotFound(`Event bus ${bus} does not exist.`);
}

/** NextToken: where the next page starts, bound to the listing it came from. */
export function encodeToken(scope: string, after: string): string {
  return Buffer.from(JSON.stringify({ s: digest(scope), a: after })).toString('base64url');
}

export function decodeToken(text: string | undefined, scope: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { s?: unknown; a?: unknown };
    if (t.s === digest(scope) && typeof t.a === 'string') return t.a;
  } catch {
    // reported below
  }
  throw invalidNextToken();
}

const digest = (scope: string) => createHash('sha256').update(scope).digest('base64url').slice(0, 16);
