import type { InventoryFilter, InventoryFilterType } from '../../api/inventory';
import { INSTANCE_INFO } from '../../api/inventory';

/**
 * The fleet inventory page's question, as it sits in the address so that a link reproduces it:
 * `?type=AWS:Application&f=Name:Equal:openssl&f=Version:LessThan:3.0.13&by=Version&platform=Ubuntu`.
 * A filter is `attribute:operator:value`, split at the first two colons only, since values such
 * as epoch versions (`1:2.3`) carry colons of their own.
 */
export interface AttrFilter {
  attr: string;
  op: InventoryFilterType;
  value: string;
}

export interface FleetQuery {
  type: string;
  filters: AttrFilter[];
  /** Narrows to nodes of one platform name (AWS:InstanceInformation.PlatformName). */
  platform: string;
  /** The attribute whose values are counted; empty means the type's default. */
  by: string;
}

export const DEFAULT_TYPE = 'AWS:Application';
export const PLATFORM_KEY = `${INSTANCE_INFO}.PlatformName`;

/** GetInventory and ListInventoryEntries take at most five filters. */
export const MAX_FILTERS = 5;

export const OPERATORS: { op: InventoryFilterType; label: string }[] = [
  { op: 'Equal', label: 'equals' },
  { op: 'BeginWith', label: 'begins with' },
  { op: 'LessThan', label: 'less than (older)' },
  { op: 'GreaterThan', label: 'greater than (newer)' },
  { op: 'NotEqual', label: 'does not equal' },
  { op: 'Exists', label: 'exists' },
];

const isOp = (s: string): s is InventoryFilterType => OPERATORS.some((o) => o.op === s);

export function parseFilter(raw: string): AttrFilter | undefined {
  const a = raw.indexOf(':');
  if (a <= 0) return undefined;
  const b = raw.indexOf(':', a + 1);
  const attr = raw.slice(0, a);
  const op = b < 0 ? raw.slice(a + 1) : raw.slice(a + 1, b);
  const value = b < 0 ? '' : raw.slice(b + 1);
  if (!isOp(op)) return undefined;
  if (op !== 'Exists' && value === '') return undefined;
  return { attr, op, value: op === 'Exists' ? '' : value };
}

export const formatFilter = (f: AttrFilter) => (f.op === 'Exists' ? `${f.attr}:Exists` : `${f.attr}:${f.op}:${f.value}`);

export function parseQuery(q: URLSearchParams): FleetQuery {
  const filters = q
    .getAll('f')
    .map(parseFilter)
    .filter((f): f is AttrFilter => f !== undefined);
  return { type: q.get('type') || DEFAULT_TYPE, filters, platform: q.get('platform') ?? '', by: q.get('by') ?? '' };
}

/** The page's address for a question; the default type and empty parts are left out. */
export function queryPath(q: FleetQuery): string {
  const s = new URLSearchParams();
  if (q.type !== DEFAULT_TYPE) s.set('type', q.type);
  for (const f of q.filters) s.append('f', formatFilter(f));
  if (q.by) s.set('by', q.by);
  if (q.platform) s.set('platform', q.platform);
  const str = s.toString();
  return str ? `/inventory?${str}` : '/inventory';
}

/**
 * The question as GetInventory's Filters: attribute filters on the chosen type, then the platform.
 * Values needs one item even for Exists, which ignores it.
 */
export function apiFilters(q: FleetQuery): InventoryFilter[] {
  const out: InventoryFilter[] = q.filters.map((f) => ({ Key: `${q.type}.${f.attr}`, Values: [f.value], Type: f.op }));
  if (q.platform) out.push({ Key: PLATFORM_KEY, Values: [q.platform], Type: 'Equal' });
  return out;
}

/** The same question narrowed to entries whose `attr` is `value`: an equality there replaces any other. */
export function narrowTo(q: FleetQuery, attr: string, value: string): FleetQuery {
  return { ...q, filters: [...q.filters.filter((f) => !(f.attr === attr && f.op === 'Equal')), { attr, op: 'Equal' as const, value }].slice(-MAX_FILTERS) };
}

/** What the values are counted by when the address does not say: Version, else Name, else the first attribute. */
export function defaultCountBy(attributes: string[]): string {
  return ['Version', 'Name'].find((a) => attributes.includes(a)) ?? attributes[0] ?? '';
}
