import { badRequest } from './errors.js';
import type { Resource } from './catalog.js';

export const ALL_SUPPORTED = 'AWS::AllSupported';
const TYPE = /^AWS::[a-zA-Z0-9]+::[a-zA-Z0-9]+$/;

export interface TagQuery {
  ResourceTypeFilters: string[];
  TagFilters: { Key: string; Values: string[] }[];
}

export interface ResourceQuery {
  Type: string;
  Query: string;
}

/**
 * A TAG_FILTERS_1_0 query, checked the way AWS checks it: ResourceTypeFilters (AWS::AllSupported
 * alone, or type names) and 1..50 TagFilters, each a key with up to 20 values. CloudFormation
 * stacks are not something Capstan has, so CLOUDFORMATION_STACK_1_0 is refused.
 */
export function parseQuery(q: ResourceQuery): TagQuery {
  if (q.Type === 'CLOUDFORMATION_STACK_1_0') throw badRequest('Query type CLOUDFORMATION_STACK_1_0 is not supported: Capstan has no CloudFormation stacks. Use TAG_FILTERS_1_0, or a group without a query holding an explicit list of resources.');
  if (q.Type !== 'TAG_FILTERS_1_0') throw badRequest(`Query type ${q.Type} is not valid; use TAG_FILTERS_1_0.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(q.Query);
  } catch {
    throw badRequest('Query is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('Query must be a JSON object with ResourceTypeFilters and TagFilters.');
  const o = parsed as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== 'ResourceTypeFilters' && k !== 'TagFilters');
  if (unknown.length) throw badRequest(`Query has unknown members: ${unknown.join(', ')}.`);
  const types = o.ResourceTypeFilters;
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) throw badRequest('Query.ResourceTypeFilters must be a non-empty list of resource types, or ["AWS::AllSupported"].');
  for (const t of types as string[]) if (t !== ALL_SUPPORTED && !TYPE.test(t)) throw badRequest(`Query.ResourceTypeFilters: ${t} is not a resource type (AWS::Service::Type).`);
  if (types.includes(ALL_SUPPORTED) && types.length > 1) throw badRequest('Query.ResourceTypeFilters: AWS::AllSupported must be the only resource type when it is given.');
  const filters = o.TagFilters;
  if (!Array.isArray(filters) || filters.length === 0) throw badRequest('Query.TagFilters must list at least one tag filter.');
  if (filters.length > 50) throw badRequest('Query.TagFilters can have at most 50 tag filters.');
  const tagFilters = filters.map((f: unknown, n) => {
    if (!f || typeof f !== 'object' || Array.isArray(f)) throw badRequest(`Query.TagFilters[${n}] must be an object with Key and Values.`);
    const { Key, Values, ...rest } = f as Record<string, unknown>;
    if (Object.keys(rest).length) throw badRequest(`Query.TagFilters[${n}] has unknown members: ${Object.keys(rest).join(', ')}.`);
    if (typeof Key !== 'string' || Key.length < 1 || Key.length > 128) throw badRequest(`Query.TagFilters[${n}].Key must be a tag key of 1 to 128 characters.`);
    const values = Values ?? [];
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string' && v.length <= 256)) throw badRequest(`Query.TagFilters[${n}].Values must be a list of tag values of up to 256 characters.`);
    if (values.length > 20) throw badRequest(`Query.TagFilters[${n}].Values can have at most 20 values.`);
    return { Key, Values: values as string[] };
  });
  return { ResourceTypeFilters: types as string[], TagFilters: tagFilters };
}

/** Keys are ANDed, a key's values ORed; a key without values matches any value. */
export function tagsMatch(filters: readonly { Key: string; Values: readonly string[] }[], tags: Record<string, string>): boolean {
  return filters.every((f) => {
    const v = tags[f.Key];
    return v !== undefined && (f.Values.length === 0 || f.Values.includes(v));
  });
}

export const queryMatches = (q: TagQuery, r: Resource): boolean => (q.ResourceTypeFilters.includes(ALL_SUPPORTED) || q.ResourceTypeFilters.includes(r.type)) && tagsMatch(q.TagFilters, r.tags);
