import type { Core } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import { SEVERITIES, type Severity } from './model.js';
import { complianceSlot } from './slot.js';

/** What Association compliance says of an association (State Manager's association row has these fields). */
export interface AssociationFacts {
  association_id: string;
  account_id: string;
  region: string;
  /** The document's name. */
  name: string;
  association_name: string;
  compliance_severity: string;
  /** AUTO: Capstan writes the association's compliance from its runs; MANUAL: the user does. */
  sync_compliance: string;
  document_version: string;
  /** Command or Automation: a runbook's run has no node of its own to be compliant. */
  document_type?: string;
}

/**
 * A run of an association ended on nodes: each gets the association's own item of type
 * Association, COMPLIANT when the run succeeded there and NON_COMPLIANT when it did not,
 * merged by the association's id so the other associations' items stay.
 */
export async function recordAssociationRun(core: Core, a: AssociationFacts, run: { executionId: string; instanceIds: readonly string[]; status: string; documentVersion?: string }): Promise<void> {
  if (a.sync_compliance === 'MANUAL' || a.document_type === 'Automation') return;
  if (run.status !== 'Success' && run.status !== 'Failed') return;
  const svc = complianceSlot.get(core);
  const severity: Severity = (SEVERITIES as readonly string[]).includes(a.compliance_severity) ? (a.compliance_severity as Severity) : 'UNSPECIFIED';
  for (const resourceId of run.instanceIds) {
    try {
      await svc.put({
        accountId: a.account_id,
        region: a.region,
        resourceId,
        resourceType: 'ManagedInstance',
        complianceType: 'Association',
        executionSummary: { ExecutionTime: core.clock.now(), ExecutionId: run.executionId, ExecutionType: 'Command' },
        items: [
          {
            Id: a.association_id,
            Title: (a.association_name || a.name).slice(0, 500),
            Severity: severity,
            Status: run.status === 'Success' ? 'COMPLIANT' : 'NON_COMPLIANT',
            Details: { DocumentName: a.name, DocumentVersion: run.documentVersion || a.document_version || '$DEFAULT' },
          },
        ],
        uploadType: 'PARTIAL',
      });
    } catch (e) {
      // The node was deregistered while the run was under way: it has no compliance to keep.
      if (!isAwsError(e) || e.status >= 500) throw e;
      console.warn(`association ${a.association_id} compliance on ${resourceId} not recorded: ${e.code}: ${e.message}`);
    }
  }
}

/** A deleted association's item leaves every node's Association compliance. */
export function forgetAssociation(core: Core, accountId: string, region: string, associationId: string): Promise<void> {
  return complianceSlot.get(core).removeItem(accountId, region, 'Association', associationId);
}
