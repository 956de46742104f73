import { AwsError } from '../protocol/errors.js';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNSPECIFIED'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type ComplianceStatus = 'COMPLIANT' | 'NON_COMPLIANT';

/** Higher is more severe; UNSPECIFIED is the least. */
export const severityRank = (s: string): number => {
  const i = SEVERITIES.indexOf(s as Severity);
  return i < 0 ? -1 : SEVERITIES.length - 1 - i;
};
export const severityOfRank = (rank: number): Severity => SEVERITIES[SEVERITIES.length - 1 - rank]!;

/** Capstan's limits on PutComplianceItems (docs/compliance.md, "Limits"). */
export const LIMITS = {
  /** One item as sent, JSON bytes. */
  itemBytes: 16 * 1024,
  /** All items of one type on one resource after the upload, JSON bytes. */
  typeBytes: 4 * 1024 * 1024,
  /** Distinct Custom: types on one resource (AWS's quota). */
  customTypesPerResource: 10,
  /** Items of one upload (AWS's model). */
  itemsPerCall: 10_000,
} as const;

/** The types there are: State Manager's, Patch Manager's, and the users' own. */
export const CUSTOM_TYPE = /^Custom:[a-zA-Z0-9_\-]\w+$/;
export const BUILT_IN_TYPES = ['Association', 'Patch'] as const;

export const complianceError = (code: string, message: string) => new AwsError(code, message, { messageMember: 'Message' });

/** Per-severity counts as the API shows them. */
export interface SeveritySummary {
  CriticalCount: number;
  HighCount: number;
  MediumCount: number;
  LowCount: number;
  InformationalCount: number;
  UnspecifiedCount: number;
}
export type Counts = Partial<Record<Severity, number>>;

export function severitySummary(c: Counts): SeveritySummary {
  return {
    CriticalCount: c.CRITICAL ?? 0,
    HighCount: c.HIGH ?? 0,
    MediumCount: c.MEDIUM ?? 0,
    LowCount: c.LOW ?? 0,
    InformationalCount: c.INFORMATIONAL ?? 0,
    UnspecifiedCount: c.UNSPECIFIED ?? 0,
  };
}

export const total = (c: Counts): number => Object.values(c).reduce((a, b) => a + (b ?? 0), 0);

/**
 * A resource's compliance for a type from its items: NON_COMPLIANT if any item is, and the
 * severity that says how badly, the highest among the non-compliant items (among all items
 * while it is compliant).
 */
export function summarize(items: readonly { status: string; severity: string; n?: number }[]): { status: ComplianceStatus; overall: Severity; compliant: Counts; nonCompliant: Counts } {
  const compliant: Counts = {};
  const nonCompliant: Counts = {};
  let worstBad = -1;
  let worstAll = 0;
  for (const i of items) {
    const sev = i.severity as Severity;
    const rank = severityRank(sev);
    if (i.status === 'NON_COMPLIANT') {
      nonCompliant[sev] = (nonCompliant[sev] ?? 0) + (i.n ?? 1);
      worstBad = Math.max(worstBad, rank);
    } else compliant[sev] = (compliant[sev] ?? 0) + (i.n ?? 1);
    worstAll = Math.max(worstAll, rank);
  }
  const bad = worstBad >= 0;
  return { status: bad ? 'NON_COMPLIANT' : 'COMPLIANT', overall: severityOfRank(bad ? worstBad : worstAll), compliant, nonCompliant };
}
