import type { DomainEvent, EventLog } from '../events/log.js';
import { instanceArn } from '../nodes/index.js';
import type { AnyDb } from '../store/database.js';
import { invocationStatus } from './status.js';
import type { CommandRow } from './tables.js';

/** AWS's EventBridge detail types for Run Command, with their detail members. */
export const COMMAND_EVENT = 'EC2 Command Status-change Notification';
export const INVOCATION_EVENT = 'EC2 Command Invocation Status-change Notification';

const iso = (ms: number) => new Date(Number(ms)).toISOString();

/** The nodes the request named; a command sent to targets names none (it may reach thousands). */
function nodesOf(cmd: CommandRow): string[] {
  const ids = JSON.parse(cmd.instance_ids) as string[];
  return ids.map((id) => instanceArn(cmd.region, cmd.account_id, id));
}

export function commandEvent(cmd: CommandRow): DomainEvent {
  return {
    accountId: cmd.account_id,
    region: cmd.region,
    source: 'aws.ssm',
    detailType: COMMAND_EVENT,
    resources: nodesOf(cmd),
    detail: {
      'command-id': cmd.command_id,
      'document-name': cmd.document_name,
      'expire-after': iso(cmd.expires_at),
      // As supplied: `{{ssm-secure:…}}` references, never their values.
      parameters: JSON.parse(cmd.parameters) as Record<string, unknown>,
      'requested-date-time': iso(cmd.requested_at),
      status: cmd.status,
    },
  };
}

export function invocationEvent(cmd: CommandRow, instanceId: string, details: string): DomainEvent {
  return {
    accountId: cmd.account_id,
    region: cmd.region,
    source: 'aws.ssm',
    detailType: INVOCATION_EVENT,
    resources: [instanceArn(cmd.region, cmd.account_id, instanceId)],
    detail: {
      'command-id': cmd.command_id,
      'document-name': cmd.document_name,
      'instance-id': instanceId,
      'requested-date-time': iso(cmd.requested_at),
      status: invocationStatus(details),
    },
  };
}

/** Invocations of one command that moved to `details`, announced in the transaction that moved them. */
export function invocationsChanged(events: EventLog, db: AnyDb, cmd: CommandRow, instanceIds: readonly string[], details: string): Promise<unknown> {
  return events.appendAll(instanceIds.map((id) => invocationEvent(cmd, id, details)), db);
}
