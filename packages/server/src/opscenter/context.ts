import type { CallContext } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import { callAs } from './calls.js';
import { AUTOMATION_EXECUTION } from './filters.js';
import { automationsOf, opsItemSummary, resourcesOf, type OperationalData } from './model.js';
import type { OpsItemService } from './service.js';
import type { OpsItemRow } from './tables.js';

const RECENT = 10;
const NODE_ARN = /:managed-instance\/((mi|i)-[0-9a-f]+)$/;

/**
 * What an operator needs beside an OpsItem, gathered the way AWS's OpsCenter pulls it in: for
 * each resource, its recent audit events, commands and compliance; the runbooks suggested and
 * run; and earlier OpsItems like this one (same source and resource, or same title) with how
 * they were resolved. Each part is read as the caller, and is null when it cannot be read.
 */
export async function opsItemContext(c: CallContext, items: OpsItemService, row: OpsItemRow) {
  // A part the caller may not read, or whose resource is gone (a node deregistered), is left out, not an error of the whole.
  const read = <O>(name: string, input: Record<string, unknown>) =>
    callAs<O>(c, name, input).catch((e: unknown) => {
      if (isAwsError(e)) return undefined;
      throw e;
    });
  const data = JSON.parse(row.operational_data) as OperationalData;
  const arns = safe(() => resourcesOf(data));
  const related = await items.relatedOf(c.accountId, c.region, [row.ops_item_id]);
  const resources = [];
  for (const arn of arns) {
    const node = NODE_ARN.exec(arn)?.[1];
    resources.push({
      Arn: arn,
      AuditEvents: (await auditEvents(c, arn)) ?? null,
      ...(node
        ? {
            Commands: (await read<{ Commands?: unknown[] }>('ListCommands', { InstanceId: node, MaxResults: RECENT }))?.Commands ?? null,
            Compliance: (await read<{ ComplianceItems?: unknown[] }>('ListComplianceItems', { ResourceIds: [node], ResourceTypes: ['ManagedInstance'], MaxResults: 50 }))?.ComplianceItems ?? null,
          }
        : {}),
    });
  }
  const executionIds = related.filter((r) => r.resource_type === AUTOMATION_EXECUTION).map((r) => r.resource_uri.split('/').pop()!);
  const automations = executionIds.length
    ? ((await read<{ AutomationExecutionMetadataList?: unknown[] }>('DescribeAutomationExecutions', { Filters: [{ Key: 'ExecutionId', Values: executionIds.slice(-10) }] }))?.AutomationExecutionMetadataList ?? null)
    : [];
  return {
    OpsItemId: row.ops_item_id,
    Occurrences: Number(row.occurrences),
    SuggestedRunbooks: safe(() => automationsOf(data)),
    Resources: resources,
    Automations: automations,
    SimilarOpsItems: await similar(c, items, row, arns),
  };
}

function safe<T>(f: () => T[]): T[] {
  try {
    return f();
  } catch {
    return [];
  }
}

async function auditEvents(c: CallContext, arn: string) {
  if (!(await c.isAllowed('cloudtrail:LookupEvents', '*'))) return undefined;
  const { events } = await c.core.audit.lookup({ accountId: c.accountId, region: c.region, attribute: { key: 'ResourceName', value: arn }, limit: RECENT });
  return events.map((e) => ({ EventId: e.event_id, EventName: e.event_name, EventTime: new Date(Number(e.event_time)), Username: e.username, ErrorCode: e.error_code ?? undefined }));
}

async function similar(c: CallContext, items: OpsItemService, row: OpsItemRow, arns: string[]) {
  const all = await items.list(c.accountId, c.region);
  const alike = all.filter((o) => {
    if (o.ops_item_id === row.ops_item_id) return false;
    if (o.title === row.title) return true;
    if (o.source !== row.source) return false;
    const theirs = safe(() => resourcesOf(JSON.parse(o.operational_data) as OperationalData));
    return theirs.some((a) => arns.includes(a));
  });
  const top = alike.slice(0, RECENT);
  const events = top.length ? await items.events(c.accountId, c.region, top.map((o) => o.ops_item_id)) : [];
  const related = await items.relatedOf(c.accountId, c.region, top.map((o) => o.ops_item_id));
  return top.map((o) => {
    const resolved = events.find((e) => e.ops_item_id === o.ops_item_id && e.detail_type === 'OpsItem Update' && (JSON.parse(e.detail) as { Status?: { to?: string } }).Status?.to === 'Resolved');
    return {
      ...opsItemSummary(o),
      ...(resolved ? { Resolution: { ResolvedBy: resolved.created_by, ResolvedTime: new Date(Number(resolved.created_at)) } } : {}),
      Runbooks: related.filter((r) => r.ops_item_id === o.ops_item_id && r.resource_type === AUTOMATION_EXECUTION).map((r) => r.resource_uri),
    };
  });
}
