import type { CallContext } from '../protocol/context.js';
import { callAs } from './calls.js';
import { AUTOMATION_EXECUTION } from './filters.js';
import { resourcesOf, type OperationalData } from './model.js';
import type { OpsItemService } from './service.js';

const NODE_ARN = /:managed-instance\/((mi|i)-[0-9a-f]+)$/;

export interface RunbookStart {
  OpsItemId: string;
  DocumentName: string;
  DocumentVersion?: string;
  Parameters?: Record<string, string[]>;
}

/**
 * Starts a runbook for an OpsItem, as the caller (StartAutomationExecution's own checks and
 * permissions), and links the execution to the item as a related item (IsParentOf) with an event
 * saying who ran what. A runbook that declares InstanceId and is not given one
 * gets the item's managed node, when it has exactly one.
 */
export async function startRunbook(c: CallContext, items: OpsItemService, i: RunbookStart): Promise<string> {
  const who = { accountId: c.accountId, region: c.region, arn: c.principal.arn };
  const row = await items.get(c.accountId, c.region, i.OpsItemId);
  const data = JSON.parse(row.operational_data) as OperationalData;
  const parameters = { ...(i.Parameters ?? {}) };
  if (!parameters.InstanceId) {
    const nodes = safeResources(data).map((a) => NODE_ARN.exec(a)?.[1]).filter((n): n is string => !!n);
    if (nodes.length === 1) {
      const doc = await callAs<{ Document?: { Parameters?: { Name?: string }[] } }>(c, 'DescribeDocument', { Name: i.DocumentName, ...(i.DocumentVersion ? { DocumentVersion: i.DocumentVersion } : {}) });
      if (doc?.Document?.Parameters?.some((p) => p.Name === 'InstanceId')) parameters.InstanceId = [nodes[0]!];
    }
  }
  const started = await callAs<{ AutomationExecutionId: string }>(
    c,
    'StartAutomationExecution',
    { DocumentName: i.DocumentName, ...(i.DocumentVersion ? { DocumentVersion: i.DocumentVersion } : {}), ...(Object.keys(parameters).length ? { Parameters: parameters } : {}) },
    { orThrow: true },
  );
  const id = started!.AutomationExecutionId;
  await items.db.transaction().execute(async (db) => {
    await items.associate(who, i.OpsItemId, { AssociationType: 'IsParentOf', ResourceType: AUTOMATION_EXECUTION, ResourceUri: `arn:aws:ssm:${c.region}:${c.accountId}:automation-execution/${id}` }, db);
    await items.record(db, who, i.OpsItemId, { source: 'aws.ssm', detailType: 'OpsItem Runbook Started', detail: { automationExecutionId: id, documentName: i.DocumentName, parameters } }, c.core.clock.now());
  });
  return id;
}

function safeResources(data: OperationalData): string[] {
  try {
    return resourcesOf(data);
  } catch {
    return [];
  }
}
