import { z } from 'zod';
import { AwsError } from '../protocol/errors.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';

/**
 * An SSM operation registered only by tests, so the wire, SigV4, validation and authorization
 * layers can be exercised through the official SSM client on their own. Its resource is a
 * service-setting ARN, and `/ssm/tagged/<k>=<v>` settings carry that tag for condition tests.
 */
export const probeOperation = defineOperation({
  service: SSM,
  name: 'GetServiceSetting',
  input: z.object({ SettingId: z.string().min(1).max(1000).regex(/^\/ssm\/[\w/=-]+$/) }),
  resources: (i, c) => [`arn:aws:ssm:${c.region}:${c.accountId}:servicesetting${i.SettingId}`],
  handler: async (i, c) => {
    if (i.SettingId === '/ssm/missing') throw new AwsError('ServiceSettingNotFound', 'No setting /ssm/missing', { messageMember: 'Message' });
    if (i.SettingId === '/ssm/crash') throw new Error('database password is hunter2');
    return {
      ServiceSetting: {
        SettingId: i.SettingId,
        SettingValue: `${c.region}:${c.accountId}`,
        LastModifiedDate: new Date(c.now),
        LastModifiedUser: c.principal.arn,
        ARN: `arn:aws:ssm:${c.region}:${c.accountId}:servicesetting${i.SettingId}`,
        Status: 'Default',
      },
    };
  },
});

/** Tags of probe resources: `/ssm/tagged/env=prod` is tagged env=prod. */
export async function probeTags(arn: string): Promise<Record<string, string> | undefined> {
  const m = /servicesetting\/ssm\/tagged\/([\w-]+)=([\w-]+)$/.exec(arn);
  return m ? { [m[1]!]: m[2]! } : {};
}
