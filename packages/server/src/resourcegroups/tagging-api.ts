import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { TAGGING } from '../protocol/services.js';
import type { Resource } from './catalog.js';
import { inputOf, invalidParameter, page } from './errors.js';
import { tagsMatch } from './query.js';
import { checkTagKeys } from './service.js';
import { groups } from './slot.js';

/**
 * The Resource Groups Tagging API over every resource Capstan tags. Tags stay with the
 * capability that owns each resource (the same ones AddTagsToResource changes); this only reads
 * and writes them through it. Resource types are named as AWS's tagging API names them:
 * `ssm` or `ssm:document`, `resource-groups:group`.
 */
const input = <T extends z.ZodRawShape>(shape: T) => inputOf(z.object(shape), invalidParameter);
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const arnList = z.array(z.string().min(1).max(1011)).min(1).max(20);
const token = z.string().max(2048).optional();

type Failure = { StatusCode: number; ErrorCode: string; ErrorMessage: string };

/** `ssm` matches every SSM type, `ssm:document` that one. */
const typeMatches = (filters: readonly string[], r: Resource) => filters.some((f) => f === r.taggingType || f === r.taggingType.split(':')[0]);

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Key, Value]) => ({ Key, Value }));

/**
 * Changes the tags of each named resource through its owner, each on its own: one that fails
 * (not found, not allowed, too many tags) is reported in FailedResourcesMap and the others proceed.
 */
async function retag(c: CallContext, arns: string[], action: { ssm: string; groups: string }, change: (tags: Record<string, string>) => Record<string, string>): Promise<{ FailedResourcesMap: Record<string, Failure> }> {
  const svc = groups(c.core);
  const byArn = new Map((await svc.resources(c.accountId, c.region)).map((r) => [r.arn, r]));
  const failed: Record<string, Failure> = {};
  for (const arn of new Set(arns)) {
    const r = byArn.get(arn);
    if (!r) {
      failed[arn] = { StatusCode: 400, ErrorCode: 'InvalidParameterException', ErrorMessage: `Resource ${arn} was not found in account ${c.accountId}, region ${c.region}.` };
      continue;
    }
    // Tagging through this API needs the owning service's permission on the resource, as in AWS.
    const owned = r.taggable ? action.ssm : action.groups;
    if (!(await c.isAllowed(owned, arn))) {
      failed[arn] = { StatusCode: 403, ErrorCode: 'AccessDeniedException', ErrorMessage: `User ${c.principal.arn} is not authorized to perform ${owned} on resource ${arn}.` };
      continue;
    }
    const next = change(r.tags);
    const max = r.taggable?.maxTags ?? 50;
    if (Object.keys(next).length > max) {
      failed[arn] = { StatusCode: 400, ErrorCode: 'InvalidParameterException', ErrorMessage: `Resource ${arn} can have at most ${max} tags.` };
      continue;
    }
    if (r.taggable) await r.taggable.set(c.accountId, c.region, r.id, next);
    else await svc.setTags(await svc.find(c.accountId, c.region, r.id), next);
  }
  return { FailedResourcesMap: failed };
}

export const taggingApiOperations = [
  defineOperation({
    service: TAGGING,
    name: 'GetResources',
    input: input({
      PaginationToken: token,
      TagFilters: z.array(z.object({ Key: z.string().min(1).max(128), Values: z.array(z.string().max(256)).max(20).optional() })).max(50).optional(),
      ResourcesPerPage: z.number().int().min(1).max(100).optional(),
      TagsPerPage: z.number().int().min(100).max(500).optional(),
      ResourceTypeFilters: z.array(z.string().max(256)).optional(),
      IncludeComplianceDetails: z.boolean().optional(),
      ExcludeCompliantResources: z.boolean().optional(),
      ResourceARNList: z.array(z.string().min(1).max(1011)).min(1).max(100).optional(),
    }),
    handler: async (i, c) => {
      if (i.ResourceARNList && (i.TagFilters?.length || i.ResourceTypeFilters?.length)) throw invalidParameter('ResourceARNList cannot be combined with TagFilters or ResourceTypeFilters.');
      const all = await groups(c.core).resources(c.accountId, c.region);
      const filters = (i.TagFilters ?? []).map((f) => ({ Key: f.Key, Values: f.Values ?? [] }));
      const named = i.ResourceARNList ? new Set(i.ResourceARNList) : undefined;
      // Without a list of ARNs, only resources that carry tags are reported, as AWS does.
      const rows = all.filter((r) => (named ? named.has(r.arn) : Object.keys(r.tags).length > 0 && tagsMatch(filters, r.tags) && (!i.ResourceTypeFilters?.length || typeMatches(i.ResourceTypeFilters, r))));
      const p = page(rows, `resources|${c.accountId}|${c.region}|${JSON.stringify([i.TagFilters, i.ResourceTypeFilters, i.ResourceARNList])}`, i.PaginationToken || undefined, i.ResourcesPerPage ?? 100, invalidParameter, 'PaginationToken');
      return { ResourceTagMappingList: p.rows.map((r) => ({ ResourceARN: r.arn, Tags: tagList(r.tags) })), PaginationToken: p.next ?? '' };
    },
  }),
  defineOperation({
    service: TAGGING,
    name: 'TagResources',
    input: input({ ResourceARNList: arnList, Tags: z.record(z.string().min(1).max(128).regex(TAG_TEXT), z.string().max(256).regex(TAG_TEXT)) }),
    conditionKeys: (i) => ({ 'aws:TagKeys': Object.keys(i.Tags), ...Object.fromEntries(Object.entries(i.Tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])) }),
    handler: async (i, c) => {
      const keys = Object.keys(i.Tags);
      if (keys.length < 1 || keys.length > 50) throw invalidParameter('Tags must have between 1 and 50 tags.');
      try {
        checkTagKeys(keys);
      } catch (e) {
        throw invalidParameter((e as Error).message);
      }
      return retag(c, i.ResourceARNList, { ssm: 'ssm:AddTagsToResource', groups: 'resource-groups:Tag' }, (t) => ({ ...t, ...i.Tags }));
    },
  }),
  defineOperation({
    service: TAGGING,
    name: 'UntagResources',
    input: input({ ResourceARNList: arnList, TagKeys: z.array(z.string().min(1).max(128)).min(1).max(50) }),
    conditionKeys: (i) => ({ 'aws:TagKeys': i.TagKeys }),
    handler: async (i, c) =>
      retag(c, i.ResourceARNList, { ssm: 'ssm:RemoveTagsFromResource', groups: 'resource-groups:Untag' }, (t) => {
        const next = { ...t };
        for (const k of i.TagKeys) delete next[k];
        return next;
      }),
  }),
  defineOperation({
    service: TAGGING,
    name: 'GetTagKeys',
    input: input({ PaginationToken: token }),
    handler: async (i, c) => {
      const keys = new Set((await groups(c.core).resources(c.accountId, c.region)).flatMap((r) => Object.keys(r.tags)));
      const p = page([...keys].sort(), `keys|${c.accountId}|${c.region}`, i.PaginationToken || undefined, 500, invalidParameter, 'PaginationToken');
      return { TagKeys: p.rows, PaginationToken: p.next ?? '' };
    },
  }),
  defineOperation({
    service: TAGGING,
    name: 'GetTagValues',
    input: input({ Key: z.string().min(1).max(128), PaginationToken: token }),
    handler: async (i, c) => {
      const values = new Set((await groups(c.core).resources(c.accountId, c.region)).flatMap((r) => (Object.hasOwn(r.tags, i.Key) ? [r.tags[i.Key]!] : [])));
      const p = page([...values].sort(), `values|${c.accountId}|${c.region}|${i.Key}`, i.PaginationToken || undefined, 500, invalidParameter, 'PaginationToken');
      return { TagValues: p.rows, PaginationToken: p.next ?? '' };
    },
  }),
];
