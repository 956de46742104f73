import type { DomainEvent } from '../events/log.js';
import { isoSeconds } from '../events/shape.js';
import { instanceArn } from '../nodes/index.js';

/** AWS's EventBridge detail type for a resource whose compliance for a type changed. */
export const COMPLIANCE_EVENT = 'Configuration Compliance State Change';

export interface ComplianceChange {
  accountId: string;
  region: string;
  resourceId: string;
  resourceType: string;
  complianceType: string;
  /** Undefined when the resource no longer has compliance of the type. */
  status: 'COMPLIANT' | 'NON_COMPLIANT' | undefined;
  previousStatus: 'COMPLIANT' | 'NON_COMPLIANT' | undefined;
  /** The highest severity among the non-compliant items (among all while compliant). */
  severity: string | undefined;
  executionTime: number | undefined;
}

/** AWS's detail members: lower-case status and severity, the node as `managed-instance`. */
export function complianceEvent(c: ComplianceChange & { status: 'COMPLIANT' | 'NON_COMPLIANT' }): DomainEvent {
  return {
    accountId: c.accountId,
    region: c.region,
    source: 'aws.ssm',
    detailType: COMPLIANCE_EVENT,
    resources: [instanceArn(c.region, c.accountId, c.resourceId)],
    detail: {
      'resource-id': c.resourceId,
      'resource-type': 'managed-instance',
      'compliance-type': c.complianceType,
      'compliance-status': c.status.toLowerCase(),
      ...(c.status === 'NON_COMPLIANT' && c.severity ? { severity: c.severity.toLowerCase() } : {}),
      ...(c.executionTime !== undefined ? { 'last-runtime': isoSeconds(c.executionTime) } : {}),
    },
  };
}
