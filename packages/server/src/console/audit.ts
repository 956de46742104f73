import { randomUUID } from 'node:crypto';
import { timeOrderedId } from '../audit/ids.js';
import type { Principal } from '../iam/credentials.js';
import type { Core } from '../protocol/context.js';

export interface ConsoleLoginFacts {
  method: 'AccessKey' | 'Password';
  /** '' when the attempt named no existing account: such events are kept out of every account's trail. */
  accountId: string;
  principal?: Principal;
  userName: string;
  accessKeyId: string;
  sourceIp: string;
  userAgent: string;
  /** Why it failed; absent on success. */
  failure?: string;
}

/**
 * A sign-in to the console, successful or not, as CloudTrail names it (`ConsoleLogin` from
 * `signin.amazonaws.com`). The request parameters say how, never with what secret.
 */
export function recordConsoleLogin(core: Core, f: ConsoleLoginFacts): void {
  const now = core.clock.now();
  const p = f.principal;
  core.audit.record({
    event: {
      event_id: timeOrderedId(now),
      request_id: randomUUID(),
      account_id: f.accountId,
      region: 'us-east-1',
      event_time: now,
      event_source: 'signin.amazonaws.com',
      event_name: 'ConsoleLogin',
      read_only: 0,
      principal_arn: p?.arn ?? '',
      principal_id: p?.userId ?? '',
      principal_type: p ? 'IAMUser' : '',
      username: p?.name ?? f.userName,
      access_key_id: f.accessKeyId,
      source_ip: f.sourceIp,
      user_agent: f.userAgent.slice(0, 1024),
      error_code: f.failure ? 'SignInFailed' : null,
      error_message: f.failure ?? null,
      request_parameters: JSON.stringify({ signInMethod: f.method }),
      resources: '[]',
    },
    resources: [],
  });
}
