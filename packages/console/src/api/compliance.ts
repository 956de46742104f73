import { allPages, type CallOptions } from './client';
import type { Timestamp } from './types';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNSPECIFIED'] as const;
export type ComplianceSeverity = (typeof SEVERITIES)[number];

/** AWS's SeveritySummary: a count per severity. */
export interface SeveritySummary {
  CriticalCount?: number;
  HighCount?: number;
  MediumCount?: number;
  LowCount?: number;
  InformationalCount?: number;
  UnspecifiedCount?: number;
}

/** The SeveritySummary member that counts a severity. */
export const SEVERITY_COUNT: Record<ComplianceSeverity, keyof SeveritySummary> = {
  CRITICAL: 'CriticalCount',
  HIGH: 'HighCount',
  MEDIUM: 'MediumCount',
  LOW: 'LowCount',
  INFORMATIONAL: 'InformationalCount',
  UNSPECIFIED: 'UnspecifiedCount',
};

export interface ComplianceSummaryItem {
  ComplianceType: string;
  CompliantSummary?: { CompliantCount?: number; SeveritySummary?: SeveritySummary };
  NonCompliantSummary?: { NonCompliantCount?: number; SeveritySummary?: SeveritySummary };
}

export interface ComplianceExecutionSummary {
  ExecutionTime?: Timestamp;
  ExecutionId?: string;
  ExecutionType?: string;
}

export interface ResourceComplianceSummaryItem {
  ComplianceType: string;
  ResourceType: string;
  ResourceId: string;
  Status: 'COMPLIANT' | 'NON_COMPLIANT';
  OverallSeverity?: string;
  ExecutionSummary?: ComplianceExecutionSummary;
  CompliantSummary?: { CompliantCount?: number; SeveritySummary?: SeveritySummary };
  NonCompliantSummary?: { NonCompliantCount?: number; SeveritySummary?: SeveritySummary };
}

export interface ComplianceItem {
  ComplianceType: string;
  ResourceType: string;
  ResourceId: string;
  Id?: string;
  Title?: string;
  Status: 'COMPLIANT' | 'NON_COMPLIANT';
  Severity?: string;
  ExecutionSummary?: ComplianceExecutionSummary;
  Details?: Record<string, string>;
}

export interface ComplianceStringFilter {
  Key: string;
  Values: string[];
  Type?: 'EQUAL' | 'NOT_EQUAL' | 'BEGIN_WITH' | 'LESS_THAN' | 'GREATER_THAN';
}

/** The compliance types of the account with their compliant and non-compliant node counts. */
export function complianceSummaries(opts: CallOptions = {}): Promise<ComplianceSummaryItem[]> {
  return allPages<{ ComplianceSummaryItems?: ComplianceSummaryItem[]; NextToken?: string }, ComplianceSummaryItem>('ListComplianceSummaries', { MaxResults: 50 }, (p) => p.ComplianceSummaryItems, opts);
}

export function resourceSummaries(filters: ComplianceStringFilter[], opts: CallOptions & { limit?: number } = {}): Promise<ResourceComplianceSummaryItem[]> {
  return allPages<{ ResourceComplianceSummaryItems?: ResourceComplianceSummaryItem[]; NextToken?: string }, ResourceComplianceSummaryItem>(
    'ListResourceComplianceSummaries',
    { Filters: filters, MaxResults: 50 },
    (p) => p.ResourceComplianceSummaryItems,
    opts,
  );
}

export function complianceItems(input: { ResourceIds?: string[]; Filters?: ComplianceStringFilter[] }, opts: CallOptions & { limit?: number } = {}): Promise<ComplianceItem[]> {
  return allPages<{ ComplianceItems?: ComplianceItem[]; NextToken?: string }, ComplianceItem>(
    'ListComplianceItems',
    { ...input, ResourceTypes: ['ManagedInstance'], MaxResults: 50 },
    (p) => p.ComplianceItems,
    opts,
  );
}
