import { call, ssm, type CallOptions } from './client';
import type { Timestamp } from './types';

/** Incident Manager's REST operations, through the console's call endpoint as `ssm-incidents.Operation`. */
export const incidents = <T>(operation: string, input: unknown = {}, opts?: CallOptions) => call<T>(`ssm-incidents.${operation}`, input, opts);
export const contacts = <T>(operation: string, input: unknown = {}, opts?: CallOptions) => call<T>(`SSMContacts.${operation}`, input, opts);

export interface IncidentMetrics {
  Arn: string;
  Title: string;
  Status: 'OPEN' | 'RESOLVED';
  Impact: number;
  ResponsePlanArn: string;
  CreationTime: number;
  AcknowledgedTime?: number;
  ResolvedTime?: number;
  TimeToAcknowledgeSeconds?: number;
  TimeToResolveSeconds?: number;
  Runbooks: { DocumentName: string; ExecutionId: string; Status?: string }[];
}

export const listIncidentMetrics = (responsePlanArn?: string, opts?: CallOptions) =>
  ssm<{ Incidents: IncidentMetrics[] }>('CapstanListIncidentMetrics', responsePlanArn ? { ResponsePlanArn: responsePlanArn } : {}, opts).then((r) => r.Incidents);

export interface IncidentRecord {
  arn: string;
  title: string;
  summary?: string;
  status: string;
  impact: number;
  creationTime: Timestamp;
  resolvedTime?: Timestamp;
  lastModifiedTime?: Timestamp;
  lastModifiedBy?: string;
  incidentRecordSource?: { createdBy?: string; source?: string; invokedBy?: string; resourceArn?: string };
}

export interface TimelineEvent {
  eventId: string;
  eventTime: Timestamp;
  eventType: string;
  eventData?: string;
}

export interface RelatedItem {
  title?: string;
  identifier: { type: string; value: { arn?: string; url?: string; metricDefinition?: string } };
}

export interface ResponsePlanSummary {
  arn: string;
  name: string;
  displayName?: string;
}

export const IMPACTS: Record<number, string> = { 1: 'Critical', 2: 'High', 3: 'Medium', 4: 'Low', 5: 'No impact' };
export const planName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
