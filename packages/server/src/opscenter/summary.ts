import { AwsError } from '../protocol/errors.js';
import type { OpsItemRow } from './tables.js';

/** The OpsData type Capstan holds: its OpsItems. */
export const OPS_ITEM_TYPE = 'AWS:OpsItem';

export interface OpsFilter {
  Key: string;
  Values: string[];
  Type?: string;
}
export interface OpsAggregator {
  AggregatorType?: string;
  TypeName?: string;
  AttributeName?: string;
  Values?: Record<string, string>;
  Filters?: OpsFilter[];
  Aggregators?: OpsAggregator[];
}

const ATTRIBUTES: Record<string, (r: OpsItemRow) => string> = {
  OpsItemId: (r) => r.ops_item_id,
  Title: (r) => r.title,
  Status: (r) => r.status,
  Source: (r) => r.source,
  Severity: (r) => r.severity,
  Category: (r) => r.category,
  Priority: (r) => (r.priority === null ? '' : String(r.priority)),
  OpsItemType: (r) => r.ops_item_type,
  CreatedBy: (r) => r.created_by,
  CreatedTime: (r) => new Date(Number(r.created_at)).toISOString(),
  LastModifiedTime: (r) => new Date(Number(r.modified_at)).toISOString(),
};

const M = { messageMember: 'Message' } as const;
const invalidFilter = (m: string) => new AwsError('InvalidFilter', m, M);
const invalidAggregator = (m: string) => new AwsError('InvalidAggregatorException', m, M);
const invalidType = (t: string) => new AwsError('InvalidTypeNameException', `OpsData type ${t} is not one Capstan holds; it holds ${OPS_ITEM_TYPE}.`, M);

/** `AWS:OpsItem.Status` → the Status reader; anything else is refused. */
function attributeOf(key: string, refuse: (m: string) => AwsError): (r: OpsItemRow) => string {
  const [type, name] = key.split(/\.(.*)/s, 2) as [string, string | undefined];
  if (type !== OPS_ITEM_TYPE || !name) throw refuse(`${key} is not TYPE.ATTRIBUTE of ${OPS_ITEM_TYPE} (e.g. ${OPS_ITEM_TYPE}.Status).`);
  const get = ATTRIBUTES[name];
  if (!get) throw refuse(`${key}: ${OPS_ITEM_TYPE} has the attributes ${Object.keys(ATTRIBUTES).join(', ')}.`);
  return get;
}

function test(have: string, type: string, values: string[]): boolean {
  switch (type) {
    case 'Equal':
      return values.includes(have);
    case 'NotEqual':
      return !values.includes(have);
    case 'BeginWith':
      return values.some((v) => have.startsWith(v));
    case 'LessThan':
      return values.some((v) => compare(have, v) < 0);
    case 'GreaterThan':
      return values.some((v) => compare(have, v) > 0);
    case 'Exists':
      return have !== '';
    default:
      return false;
  }
}

const compare = (a: string, b: string) => (/^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0);

export function filterRows(rows: readonly OpsItemRow[], filters: readonly OpsFilter[] | undefined): OpsItemRow[] {
  const checks = (filters ?? []).map((f) => {
    const get = attributeOf(f.Key, invalidFilter);
    const type = f.Type ?? 'Equal';
    return (r: OpsItemRow) => test(get(r), type, f.Values);
  });
  return rows.filter((r) => checks.every((c) => c(r)));
}

export function checkTypes(resultAttributes: readonly { TypeName: string }[] | undefined): void {
  for (const a of resultAttributes ?? []) if (a.TypeName !== OPS_ITEM_TYPE) throw invalidType(a.TypeName);
}

/** One entity per OpsItem, its attributes as the content. */
export function itemEntities(rows: readonly OpsItemRow[]) {
  return rows.map((r) => ({
    Id: r.ops_item_id,
    Data: { [OPS_ITEM_TYPE]: { CaptureTime: new Date(Number(r.modified_at)).toISOString(), Content: [Object.fromEntries(Object.entries(ATTRIBUTES).map(([k, get]) => [k, get(r)]))] } },
  }));
}

/**
 * `AggregatorType: Count` over an attribute: one entity per aggregator, named `TYPE.ATTRIBUTE`,
 * whose content counts the items by that attribute's value (the aggregator's own filters first).
 */
export function aggregate(rows: readonly OpsItemRow[], aggregators: readonly OpsAggregator[], now: number) {
  return aggregators.map((a) => {
    if ((a.AggregatorType ?? 'Count').toLowerCase() !== 'count') throw invalidAggregator(`AggregatorType ${a.AggregatorType} is not supported; Capstan counts (Count).`);
    if (a.Aggregators?.length) throw invalidAggregator('Nested aggregators are not supported by Capstan yet.');
    const type = a.TypeName ?? OPS_ITEM_TYPE;
    if (type !== OPS_ITEM_TYPE) throw invalidType(type);
    if (!a.AttributeName) throw invalidAggregator('An aggregator needs an AttributeName.');
    const get = attributeOf(`${type}.${a.AttributeName}`, invalidAggregator);
    const counts = new Map<string, number>();
    for (const r of filterRows(rows, a.Filters)) counts.set(get(r), (counts.get(get(r)) ?? 0) + 1);
    const content = [...counts.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([v, n]) => ({ [a.AttributeName!]: v, Count: String(n) }));
    return { Id: `${type}.${a.AttributeName}`, Data: { [type]: { CaptureTime: new Date(now).toISOString(), Content: content } } };
  });
}
