import { PATCH_OS, type PatchBaseline, type PatchBaselineInput, type PatchFilter } from '../../api/patching';

export interface FilterRow {
  key: string;
  /** Comma-separated, as people type them. */
  values: string;
}

export interface RuleRow {
  filters: FilterRow[];
  complianceLevel: string;
  approveAfterDays: string;
  approveUntilDate: string;
  enableNonSecurity: boolean;
}

export interface BaselineForm {
  name: string;
  description: string;
  os: string;
  globalFilters: FilterRow[];
  rules: RuleRow[];
  /** One patch a line. */
  approved: string;
  approvedLevel: string;
  approvedNonSecurity: boolean;
  rejected: string;
  rejectedAction: 'ALLOW_AS_DEPENDENCY' | 'BLOCK';
  /** '' leaves it unset: available security updates that are not approved do not count. */
  availableSecurity: '' | 'COMPLIANT' | 'NON_COMPLIANT';
}

export type FormErrors = Partial<Record<'name' | `rule-${number}-days`, string>>;

export const osMeta = (os: string) => PATCH_OS.find((o) => o.value === os) ?? PATCH_OS[0]!;

export const emptyRule = (os: string): RuleRow => ({
  filters: osMeta(os).dated
    ? [
        { key: 'PRODUCT', values: '*' },
        { key: 'CLASSIFICATION', values: 'Security' },
        { key: 'SEVERITY', values: 'Critical, Important' },
      ]
    : [
        { key: 'PRODUCT', values: '*' },
        { key: 'PRIORITY', values: 'Required, Important' },
      ],
  complianceLevel: 'UNSPECIFIED',
  approveAfterDays: osMeta(os).dated ? '7' : '',
  approveUntilDate: '',
  enableNonSecurity: false,
});

export const newBaselineForm = (os = 'DEBIAN'): BaselineForm => ({
  name: '',
  description: '',
  os,
  globalFilters: [],
  rules: [emptyRule(os)],
  approved: '',
  approvedLevel: 'UNSPECIFIED',
  approvedNonSecurity: false,
  rejected: '',
  rejectedAction: 'ALLOW_AS_DEPENDENCY',
  availableSecurity: '',
});

const rowsOf = (filters: PatchFilter[] | undefined): FilterRow[] => (filters ?? []).map((f) => ({ key: f.Key, values: f.Values.join(', ') }));

export function formOf(b: PatchBaseline): BaselineForm {
  return {
    name: b.Name,
    description: b.Description ?? '',
    os: b.OperatingSystem,
    globalFilters: rowsOf(b.GlobalFilters?.PatchFilters),
    rules: (b.ApprovalRules?.PatchRules ?? []).map((r) => ({
      filters: rowsOf(r.PatchFilterGroup.PatchFilters),
      complianceLevel: r.ComplianceLevel ?? 'UNSPECIFIED',
      approveAfterDays: r.ApproveAfterDays === undefined ? '' : String(r.ApproveAfterDays),
      approveUntilDate: r.ApproveUntilDate ?? '',
      enableNonSecurity: r.EnableNonSecurity ?? false,
    })),
    approved: (b.ApprovedPatches ?? []).join('\n'),
    approvedLevel: b.ApprovedPatchesComplianceLevel ?? 'UNSPECIFIED',
    approvedNonSecurity: b.ApprovedPatchesEnableNonSecurity ?? false,
    rejected: (b.RejectedPatches ?? []).join('\n'),
    rejectedAction: b.RejectedPatchesAction ?? 'ALLOW_AS_DEPENDENCY',
    availableSecurity: b.AvailableSecurityUpdatesComplianceStatus ?? '',
  };
}

/** What the browser can tell before asking: the rest (filter values per system, limits) is the server's to judge. */
export function checkForm(f: BaselineForm): FormErrors {
  const e: FormErrors = {};
  if (!f.name.trim()) e.name = 'Give the baseline a name.';
  f.rules.forEach((r, i) => {
    if (r.approveAfterDays.trim() && !/^\d+$/.test(r.approveAfterDays.trim())) e[`rule-${i}-days`] = 'A whole number of days, 0 to 360.';
  });
  return e;
}

const filtersOf = (rows: FilterRow[]): PatchFilter[] =>
  rows
    .filter((r) => r.key && r.values.trim())
    .map((r) => ({
      Key: r.key,
      Values: r.values
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    }));

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);

/** The form as CreatePatchBaseline / UpdatePatchBaseline take it; empty optional fields are left out. */
export function toInput(f: BaselineForm): PatchBaselineInput {
  return {
    Name: f.name.trim(),
    OperatingSystem: f.os,
    ...(f.description.trim() ? { Description: f.description.trim() } : {}),
    GlobalFilters: { PatchFilters: filtersOf(f.globalFilters) },
    ApprovalRules: {
      PatchRules: f.rules.map((r) => ({
        PatchFilterGroup: { PatchFilters: filtersOf(r.filters) },
        ComplianceLevel: r.complianceLevel,
        EnableNonSecurity: r.enableNonSecurity,
        ...(r.approveAfterDays.trim() ? { ApproveAfterDays: Number(r.approveAfterDays.trim()) } : {}),
        ...(r.approveUntilDate.trim() ? { ApproveUntilDate: r.approveUntilDate.trim() } : {}),
      })),
    },
    ApprovedPatches: lines(f.approved),
    ApprovedPatchesComplianceLevel: f.approvedLevel,
    ApprovedPatchesEnableNonSecurity: f.approvedNonSecurity,
    RejectedPatches: lines(f.rejected),
    RejectedPatchesAction: f.rejectedAction,
    ...(f.availableSecurity ? { AvailableSecurityUpdatesComplianceStatus: f.availableSecurity } : {}),
  };
}

/** The server's messages name the part they are about ("ApprovalRules rule 2: …"); the form marks it. */
export function refusalPlace(message: string): { rule?: number; global?: boolean } {
  const m = /ApprovalRules rule (\d+)/.exec(message);
  if (m) return { rule: Number(m[1]) - 1 };
  if (/^GlobalFilters\b/.test(message)) return { global: true };
  return {};
}
