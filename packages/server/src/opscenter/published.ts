import type { DomainEvent } from '../events/log.js';
import { opsItemArn } from './model.js';
import type { OpsItemRow } from './tables.js';

export const OPS_ITEM_CREATE = 'OpsItem Create';
export const OPS_ITEM_UPDATE = 'OpsItem Update';

/**
 * An OpsItem was created or changed, as an event in Capstan's log, so event rules can match it
 * (an incident started by an OpsItem of severity 1 is such a rule). Only the item's fields that
 * patterns match on go in the detail: its operational data can be large and hold anything.
 */
export function opsItemEvent(detailType: typeof OPS_ITEM_CREATE | typeof OPS_ITEM_UPDATE, row: OpsItemRow, changed?: string[]): DomainEvent {
  return {
    accountId: row.account_id,
    region: row.region,
    source: 'aws.ssm',
    detailType,
    resources: [opsItemArn(row.region, row.account_id, row.ops_item_id)],
    detail: {
      'ops-item-id': row.ops_item_id,
      'ops-item-type': row.ops_item_type,
      title: row.title,
      status: row.status,
      severity: row.severity,
      priority: row.priority === null ? null : Number(row.priority),
      category: row.category,
      source: row.source,
      'created-by': row.created_by,
      'last-modified-by': row.modified_by,
      ...(changed ? { 'changed-fields': changed } : {}),
    },
  };
}
