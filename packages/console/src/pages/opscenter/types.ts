import type { Timestamp } from '../../api/types';

export interface OpsItemSummary {
  OpsItemId: string;
  Title?: string;
  Source?: string;
  Status?: string;
  Severity?: string;
  Priority?: number;
  Category?: string;
  CreatedTime?: Timestamp;
  LastModifiedTime?: Timestamp;
}

export interface OpsItem extends OpsItemSummary {
  OpsItemArn?: string;
  Description?: string;
  OpsItemType?: string;
  CreatedBy?: string;
  LastModifiedBy?: string;
  OperationalData?: Record<string, { Value?: string; Type?: string }>;
}

export interface RelatedItem {
  AssociationId: string;
  AssociationType: string;
  ResourceType: string;
  ResourceUri: string;
  CreatedTime?: Timestamp;
}

export interface OpsItemContext {
  Occurrences: number;
  SuggestedRunbooks: string[];
  Resources: {
    Arn: string;
    AuditEvents: { EventId: string; EventName: string; EventTime: Timestamp; Username: string; ErrorCode?: string }[] | null;
    Commands?: { CommandId: string; DocumentName: string; Status: string; RequestedDateTime?: Timestamp }[] | null;
    Compliance?: { ComplianceType?: string; Id?: string; Title?: string; Status?: string; Severity?: string }[] | null;
  }[];
  Automations: { AutomationExecutionId: string; DocumentName?: string; AutomationExecutionStatus?: string; ExecutionStartTime?: Timestamp }[] | null;
  SimilarOpsItems: (OpsItemSummary & { Resolution?: { ResolvedBy: string; ResolvedTime: Timestamp }; Runbooks: string[] })[];
}

export const OPS_STATUSES = ['Open', 'InProgress', 'Resolved'];

const TONES: Record<string, string> = { Open: 'warn', InProgress: 'info', Resolved: 'good' };
export const opsTone = (status: string | undefined) => TONES[status ?? ''] ?? 'muted';

/** The JSON list in an `/aws/…` operational data key, or nothing when it is absent or not a list. */
export function dataList<T>(item: OpsItem, key: string): T[] {
  const raw = item.OperationalData?.[key]?.Value;
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}
