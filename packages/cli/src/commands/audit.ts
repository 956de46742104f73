import type { Command } from 'commander';
import { CloudTrailClient, LookupEventsCommand, type LookupAttributeKey } from '@aws-sdk/client-cloudtrail';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';

interface AuditOptions extends ClientOptions {
  eventName?: string;
  username?: string;
  accessKeyId?: string;
  resource?: string;
  since?: string;
  max: string;
  json?: boolean;
}

export function registerAuditCommands(program: Command): void {
  withClientOptions(program.command('audit').description('show the audit trail: who did what, when, from where (CloudTrail LookupEvents)'))
    .option('--event-name <name>', 'only this operation, e.g. GetParameter')
    .option('--username <name>', 'only this user')
    .option('--access-key-id <id>', 'only this access key')
    .option('--resource <arn>', 'only calls on this resource')
    .option('--since <time>', 'ISO time or a duration like 15m, 2h, 1d')
    .option('--max <n>', 'how many events', '50')
    .option('--json', 'print the full CloudTrail events as JSON lines')
    .action(async (o: AuditOptions) => {
      const client = new CloudTrailClient(resolveClientConfig(o));
      const attr: [LookupAttributeKey, string] | undefined = o.eventName ? ['EventName', o.eventName] : o.username ? ['Username', o.username] : o.accessKeyId ? ['AccessKeyId', o.accessKeyId] : o.resource ? ['ResourceName', o.resource] : undefined;
      let remaining = Number(o.max);
      let token: string | undefined;
      do {
        const page = await client.send(
          new LookupEventsCommand({
            MaxResults: Math.min(50, remaining),
            ...(attr ? { LookupAttributes: [{ AttributeKey: attr[0], AttributeValue: attr[1] }] } : {}),
            ...(o.since ? { StartTime: since(o.since) } : {}),
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const e of page.Events ?? []) {
          if (o.json) console.log(e.CloudTrailEvent);
          else {
            const detail = JSON.parse(e.CloudTrailEvent ?? '{}') as { sourceIPAddress?: string; errorCode?: string };
            console.log([e.EventTime?.toISOString(), e.Username ?? '-', e.EventSource?.split('.')[0], e.EventName, detail.sourceIPAddress ?? '-', detail.errorCode ?? 'OK'].join('\t'));
          }
        }
        remaining -= page.Events?.length ?? 0;
        token = page.NextToken;
      } while (token && remaining > 0);
    });
}

function since(text: string): Date {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m) return new Date(Date.now() - Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2] as 's' | 'm' | 'h' | 'd']);
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`--since must be an ISO time or a duration like 15m (got ${text})`);
  return d;
}
