import { invalidFilterKey, invalidFilterOption, invalidFilterValue, validation } from './errors.js';
import type { ParameterRow } from './tables.js';

export interface StringFilter {
  Key: string;
  Option?: string | undefined;
  Values?: string[] | undefined;
}

type Use = 'describe' | 'by-path';

const KEYS: Record<Use, readonly string[]> = {
  describe: ['Name', 'Type', 'KeyId', 'Path', 'Tier', 'DataType'],
  'by-path': ['Type', 'KeyId', 'Label'],
};

function optionsFor(key: string, use: Use): readonly string[] {
  if (key === 'Path') return ['Recursive', 'OneLevel'];
  if (key === 'Name') return ['Equals', 'BeginsWith', 'Contains'];
  if (key === 'Label') return ['Equals'];
  if (key.startsWith('tag:')) return ['Equals'];
  return use === 'describe' ? ['Equals', 'BeginsWith'] : ['Equals', 'BeginsWith'];
}

/** Checks ParameterFilters with the keys, options and values AWS allows for each operation. */
export function checkFilters(filters: readonly StringFilter[], use: Use): void {
  const seen = new Set<string>();
  for (const f of filters) {
    const isTag = f.Key.startsWith('tag:');
    if (!(isTag && use === 'describe') && !KEYS[use].includes(f.Key)) {
      throw invalidFilterKey(`The following filter key is not valid: ${f.Key}. Valid filter keys include: [${[...KEYS[use], ...(use === 'describe' ? ['tag:<key>'] : [])].join(', ')}].`);
    }
    if (seen.has(f.Key)) throw validation(`The following filter is duplicated: ${f.Key}`);
    seen.add(f.Key);
    const allowed = optionsFor(f.Key, use);
    if (f.Option !== undefined && !allowed.includes(f.Option)) {
      throw invalidFilterOption(`The following filter option is not valid: ${f.Option}. Valid options include: [${allowed.join(', ')}].`);
    }
    if (!isTag && (!f.Values || f.Values.length === 0)) throw invalidFilterValue(`The following filter values are missing : null for filter key ${f.Key}.`);
    for (const v of f.Values ?? []) checkValue(f.Key, v);
  }
}

function checkValue(key: string, value: string): void {
  if (key === 'Type' && !['String', 'StringList', 'SecureString'].includes(value)) throw invalidFilterValue(`The following filter value is not valid: ${value}. Valid values include: [String, StringList, SecureString].`);
  if (key === 'Tier' && !['Standard', 'Advanced', 'Intelligent-Tiering'].includes(value)) throw invalidFilterValue(`The following filter value is not valid: ${value}. Valid values include: [Standard, Advanced, Intelligent-Tiering].`);
  if (key === 'Path' && !value.startsWith('/')) throw invalidFilterValue(`The following filter value is not valid: ${value}. A path must begin with a forward slash (/).`);
}

const test = (option: string, actual: string, value: string) =>
  option === 'BeginsWith' ? actual.startsWith(value) : option === 'Contains' ? actual.includes(value) : actual === value;

/** Does a parameter pass every filter (labels are checked by the caller, on versions)? */
export function matches(row: ParameterRow, filters: readonly StringFilter[]): boolean {
  for (const f of filters) {
    const option = f.Option ?? (f.Key === 'Path' ? 'OneLevel' : 'Equals');
    const values = f.Values ?? [];
    if (f.Key.startsWith('tag:')) {
      const tags = JSON.parse(row.tags) as Record<string, string>;
      const tagKey = f.Key.slice(4);
      if (!(tagKey in tags)) return false;
      if (values.length && !values.includes(tags[tagKey]!)) return false;
      continue;
    }
    if (f.Key === 'Label') continue;
    if (f.Key === 'Path') {
      const ok = values.some((p) => {
        const path = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
        if (option === 'OneLevel') return row.path === path;
        return path === '/' ? row.name.startsWith('/') : row.name.startsWith(`${path}/`);
      });
      if (!ok) return false;
      continue;
    }
    const actual = f.Key === 'Name' ? row.name : f.Key === 'Type' ? row.type : f.Key === 'KeyId' ? (row.key_id ?? '') : f.Key === 'Tier' ? row.tier : row.data_type;
    if (!values.some((v) => test(option, actual, f.Key === 'Name' && !v.startsWith('/') && row.name.startsWith('/') && option !== 'Contains' ? `/${v}` : v))) return false;
  }
  return true;
}

/** The legacy `Filters` of DescribeParameters, as ParameterFilters. */
export function fromLegacy(filters: readonly { Key: string; Values: string[] }[]): StringFilter[] {
  return filters.map((f) => ({ Key: f.Key, Option: f.Key === 'Name' ? 'BeginsWith' : 'Equals', Values: f.Values }));
}
