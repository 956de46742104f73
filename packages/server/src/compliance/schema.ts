import { z } from 'zod';
import { LIMITS, SEVERITIES } from './model.js';

/** PutComplianceItems as AWS's model constrains it; the service checks the rest. */
export const complianceItem = z.object({
  Id: z.string().max(100).optional(),
  Title: z.string().max(500).optional(),
  Severity: z.enum(SEVERITIES),
  Status: z.enum(['COMPLIANT', 'NON_COMPLIANT']),
  Details: z.record(z.string().min(1).max(64), z.string().max(4096)).optional(),
});

export const putInput = z.object({
  ResourceId: z.string().min(1).max(100),
  ResourceType: z.string().min(1).max(50),
  ComplianceType: z.string().min(1).max(100).regex(/^([A-Za-z0-9_\-]\w+|Custom:[a-zA-Z0-9_\-]\w+)$/),
  ExecutionSummary: z.object({
    /** Epoch seconds on the wire. */
    ExecutionTime: z.number(),
    ExecutionId: z.string().max(100).optional(),
    ExecutionType: z.string().max(50).optional(),
  }),
  Items: z.array(complianceItem).max(LIMITS.itemsPerCall),
  ItemContentHash: z.string().max(256).optional(),
  UploadType: z.enum(['COMPLETE', 'PARTIAL']).optional(),
});
export type PutInput = z.infer<typeof putInput>;

export const filter = z.object({
  Key: z.string().min(1).max(200),
  Values: z.array(z.string()).min(1).max(20),
  Type: z.enum(['EQUAL', 'NOT_EQUAL', 'BEGIN_WITH', 'LESS_THAN', 'GREATER_THAN']).optional(),
});

export const paging = { MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() };
