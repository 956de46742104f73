import type { DomainEvent } from '../events/log.js';
import { parameterArn } from './names.js';

/** AWS's EventBridge detail type for Parameter Store writes. */
export const CHANGE_EVENT = 'Parameter Store Change';

export type ChangeOperation = 'Create' | 'Update' | 'Delete' | 'LabelParameterVersion';

/** Never the value: a SecureString's plaintext must not reach the event log or a target. */
export function changeEvent(account: string, region: string, operation: ChangeOperation, p: { name: string; type: string; description: string }): DomainEvent {
  return {
    accountId: account,
    region,
    source: 'aws.ssm',
    detailType: CHANGE_EVENT,
    resources: [parameterArn(region, account, p.name)],
    detail: { operation, name: p.name, type: p.type, description: p.description },
  };
}
