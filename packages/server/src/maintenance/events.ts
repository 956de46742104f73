import type { DomainEvent } from '../events/log.js';
import { windowArn } from './store.js';
import type { ExecutionRow, TaskExecutionRow } from './tables.js';

export const TASK_EVENT = 'Maintenance Window Task Execution State-change Notification';

const iso = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)).toISOString());

/**
 * A task execution reached a final status, in the shape AWS sends to EventBridge (AWS's keys; the
 * task's type, ARN and status details are Capstan's additions, so a consumer need not look the task up).
 */
export function taskEvent(e: Pick<ExecutionRow, 'account_id' | 'region' | 'window_id' | 'window_execution_id'>, t: TaskExecutionRow, status: string, details: string, now: number): DomainEvent {
  return {
    accountId: e.account_id,
    region: e.region,
    source: 'aws.ssm',
    detailType: TASK_EVENT,
    resources: [windowArn(e.region, e.account_id, e.window_id)],
    detail: {
      'window-id': e.window_id,
      'window-execution-id': e.window_execution_id,
      'task-execution-id': t.task_execution_id,
      'window-task-id': t.window_task_id,
      'task-type': t.task_type,
      'task-arn': t.task_arn,
      status,
      'status-details': details,
      ...(t.start_time !== null ? { 'start-time': iso(t.start_time) } : {}),
      'end-time': iso(now),
    },
  };
}
