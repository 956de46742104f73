import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import type { ExecutionRow, StepRow } from './tables.js';

export const executionArn = (ex: Pick<ExecutionRow, 'region' | 'account_id' | 'execution_id'>) => `arn:aws:ssm:${ex.region}:${ex.account_id}:automation-execution/${ex.execution_id}`;
const definitionArn = (ex: ExecutionRow) => `arn:aws:ssm:${ex.region}:${ex.account_id}:automation-definition/${ex.document_name}:${ex.document_version}`;
const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** What both of AWS's automation events carry: the execution and its runbook. */
function append(core: Core, db: AnyDb, ex: ExecutionRow, detailType: string, detail: Record<string, unknown>): Promise<string> {
  return core.events.append(
    {
      accountId: ex.account_id,
      region: ex.region,
      source: 'aws.ssm',
      detailType,
      resources: [executionArn(ex), definitionArn(ex)],
      detail: { ExecutionId: ex.execution_id, Definition: ex.document_name, DefinitionVersion: Number(ex.document_version), ...detail, ExecutedBy: ex.executed_by },
    },
    db,
  );
}

/** Status changes in the shape AWS publishes them to EventBridge, written in the change's transaction. */
export const automationEvents = {
  async execution(core: Core, db: AnyDb, ex: ExecutionRow): Promise<void> {
    await append(core, db, ex, 'EC2 Automation Execution Status-change Notification', {
      Status: ex.status,
      StartTime: iso(ex.started_at),
      EndTime: iso(ex.ended_at),
      ...(ex.parent_id ? { ParentExecutionId: ex.parent_id } : {}),
    });
  },
  async step(core: Core, db: AnyDb, ex: ExecutionRow, row: StepRow): Promise<void> {
    await append(core, db, ex, 'EC2 Automation Step Status-change Notification', {
      Status: row.status,
      StepName: row.step_name,
      Action: row.action,
      StartTime: iso(row.started_at),
      EndTime: iso(row.ended_at),
    });
  },
};
