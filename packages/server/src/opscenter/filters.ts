import { invalidParameter } from './errors.js';
import { resourcesOf, type OperationalData } from './model.js';
import type { OpsItemRelatedRow, OpsItemRow } from './tables.js';

export interface OpsItemFilter {
  Key: string;
  Values: string[];
  Operator: string;
}

type Kind = 'text' | 'number' | 'time' | 'data' | 'dataKey' | 'dataValue' | 'resource' | 'automation' | 'account';
const KEYS: Record<string, Kind> = {
  Status: 'text',
  CreatedBy: 'text',
  Source: 'text',
  Title: 'text',
  OpsItemId: 'text',
  Category: 'text',
  Severity: 'text',
  OpsItemType: 'text',
  Priority: 'number',
  CreatedTime: 'time',
  LastModifiedTime: 'time',
  ActualStartTime: 'time',
  ActualEndTime: 'time',
  PlannedStartTime: 'time',
  PlannedEndTime: 'time',
  OperationalData: 'data',
  OperationalDataKey: 'dataKey',
  OperationalDataValue: 'dataValue',
  ResourceId: 'resource',
  AutomationId: 'automation',
  AccountId: 'account',
};
const OPERATORS: Record<Kind, readonly string[]> = {
  text: ['Equal', 'Contains'],
  number: ['Equal', 'GreaterThan', 'LessThan'],
  time: ['GreaterThan', 'LessThan'],
  data: ['Equal'],
  dataKey: ['Equal'],
  dataValue: ['Equal', 'Contains'],
  resource: ['Equal', 'Contains'],
  automation: ['Equal'],
  account: ['Equal'],
};

const TEXT: Record<string, (r: OpsItemRow) => string> = {
  Status: (r) => r.status,
  CreatedBy: (r) => r.created_by,
  Source: (r) => r.source,
  Title: (r) => r.title,
  OpsItemId: (r) => r.ops_item_id,
  Category: (r) => r.category,
  Severity: (r) => r.severity,
  OpsItemType: (r) => r.ops_item_type,
};
const TIME: Record<string, (r: OpsItemRow) => number | null> = {
  CreatedTime: (r) => Number(r.created_at),
  LastModifiedTime: (r) => Number(r.modified_at),
  ActualStartTime: (r) => r.actual_start,
  ActualEndTime: (r) => r.actual_end,
  PlannedStartTime: (r) => r.planned_start,
  PlannedEndTime: (r) => r.planned_end,
};

/** Refuses filters AWS would not take (or Capstan cannot answer) before anything is read. */
export function checkFilters(filters: readonly OpsItemFilter[]): void {
  for (const f of filters) {
    const kind = KEYS[f.Key];
    if (!kind) throw invalidParameter(['OpsItemFilters'], `OpsItemFilters key ${f.Key} is not one Capstan answers; it takes ${Object.keys(KEYS).join(', ')}.`);
    if (!OPERATORS[kind].includes(f.Operator)) throw invalidParameter(['OpsItemFilters'], `OpsItemFilters ${f.Key} takes the operators ${OPERATORS[kind].join(', ')}, not ${f.Operator}.`);
    for (const v of f.Values) {
      if (kind === 'number' && !/^\d+$/.test(v)) throw invalidParameter(['OpsItemFilters'], `OpsItemFilters ${f.Key} value ${v} is not a number.`);
      if (kind === 'time' && Number.isNaN(Date.parse(v))) throw invalidParameter(['OpsItemFilters'], `OpsItemFilters ${f.Key} value ${v} is not a date (ISO 8601).`);
      if (kind === 'data') dataPair(v);
    }
  }
}

function dataPair(v: string): { key: string; value: string } {
  try {
    const p = JSON.parse(v) as { key?: unknown; value?: unknown };
    if (typeof p.key === 'string' && typeof p.value === 'string') return { key: p.key, value: p.value };
  } catch {
    // refused below
  }
  throw invalidParameter(['OpsItemFilters'], `OpsItemFilters OperationalData value ${v} must be JSON {"key":"…","value":"…"}.`);
}

const textMatch = (op: string, have: string, want: string) => (op === 'Contains' ? have.includes(want) : have === want);

/** Whether an OpsItem passes every filter (values of one filter are alternatives); only searchable operational data is searched. */
export function matches(r: OpsItemRow, filters: readonly OpsItemFilter[], related: readonly OpsItemRelatedRow[]): boolean {
  const data = JSON.parse(r.operational_data) as OperationalData;
  const searchable = Object.entries(data).filter(([, v]) => v.Type === 'SearchableString');
  return filters.every((f) => {
    const kind = KEYS[f.Key]!;
    return f.Values.some((v) => {
      switch (kind) {
        case 'text':
          return textMatch(f.Operator, TEXT[f.Key]!(r), v);
        case 'number': {
          if (r.priority === null) return false;
          const p = Number(r.priority);
          return f.Operator === 'Equal' ? p === Number(v) : f.Operator === 'GreaterThan' ? p > Number(v) : p < Number(v);
        }
        case 'time': {
          const t = TIME[f.Key]!(r);
          if (t === null) return false;
          return f.Operator === 'GreaterThan' ? Number(t) > Date.parse(v) : Number(t) < Date.parse(v);
        }
        case 'data': {
          const { key, value } = dataPair(v);
          return searchable.some(([k, d]) => k === key && d.Value === value);
        }
        case 'dataKey':
          return searchable.some(([k]) => k === v);
        case 'dataValue':
          return searchable.some(([, d]) => textMatch(f.Operator, d.Value ?? '', v));
        case 'resource': {
          let arns: string[] = [];
          try {
            arns = resourcesOf(data);
          } catch {
            arns = [];
          }
          return [...arns, ...related.map((x) => x.resource_uri)].some((a) => textMatch(f.Operator, a, v));
        }
        case 'automation':
          return related.some((x) => x.resource_type === AUTOMATION_EXECUTION && x.resource_uri.endsWith(`/${v}`));
        case 'account':
          return r.account_id === v;
      }
    });
  });
}

export const AUTOMATION_EXECUTION = 'AWS::SSM::AutomationExecution';
