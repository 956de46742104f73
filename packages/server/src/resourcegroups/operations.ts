import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { RESOURCE_GROUPS } from '../protocol/services.js';
import type { Resource } from './catalog.js';
import { badRequest, inputOf, page } from './errors.js';
import { parseQuery } from './query.js';
import { checkTagKeys, groupArn, type GroupService } from './service.js';
import { groups } from './slot.js';
import type { GroupRow } from './tables.js';

const NAME = /^[a-zA-Z0-9_.-]+$/;
const GROUP_REF = /^([a-zA-Z0-9_.-]{1,300}|[a-zA-Z0-9_.-]{1,150}\/[a-z0-9]{26}|arn:aws(-[a-z]+)*:resource-groups:[a-z]{2}(-[a-z]+)+-\d:[0-9]{12}:group\/([a-zA-Z0-9_.-]{1,300}|[a-zA-Z0-9_.-]{1,150}\/[a-z0-9]{26}))$/;
const GROUP_ARN = /^arn:aws(-[a-z]+)*:resource-groups:[a-z]{2}(-[a-z]+)+-\d:[0-9]{12}:group\/([a-zA-Z0-9_.-]{1,300}|[a-zA-Z0-9_.-]{1,150}\/[a-z0-9]{26})$/;
/** Tag keys and values, owners and display names share AWS's one character class. */
const TAG_TEXT = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

const groupRef = z.string().min(1).max(1600).regex(GROUP_REF);
const tagKey = z.string().min(1).max(128).regex(TAG_TEXT);
const tags = z.record(tagKey, z.string().max(256).regex(TAG_TEXT));
const resourceQuery = z.object({ Type: z.enum(['TAG_FILTERS_1_0', 'CLOUDFORMATION_STACK_1_0']), Query: z.string().max(4096) });
const description = z.string().max(1024).regex(/^[\sa-zA-Z0-9_.-]*$/);
const details = {
  Description: description.optional(),
  Criticality: z.number().int().min(1).max(10).optional(),
  Owner: z.string().max(300).regex(TAG_TEXT).optional(),
  DisplayName: z.string().max(300).regex(TAG_TEXT).optional(),
};
const configuration = z
  .array(z.object({ Type: z.string().max(40).regex(/^AWS::[a-zA-Z0-9]+::[a-zA-Z0-9]+$/), Parameters: z.array(z.object({ Name: z.string().min(1).max(80).regex(/^[a-z-]+$/), Values: z.array(z.string().min(1).max(256).regex(/^[a-zA-Z0-9:/._-]+$/)).optional() })).optional() }))
  .max(2);
const maxResults = z.coerce.number().int().min(1).max(50).optional();
const nextToken = z.string().max(8192).regex(/^[a-zA-Z0-9+/]*={0,2}$/).optional();
const resourceArn = z.string().regex(/^arn:aws(-[a-z]+)*:[a-z0-9-]*:([a-z]{2}(-[a-z]+)+-\d)?:([0-9]{12})?:.+$/);
const resourceTypeFilter = z.object({ Name: z.enum(['resource-type']), Values: z.array(z.string().min(1).max(128).regex(/^AWS::[a-zA-Z0-9]+::[a-zA-Z0-9]+$/)).min(1).max(5) });
/** Calls name a group by `Group` (name or ARN), or by the deprecated `GroupName`. */
const named = { GroupName: z.string().min(1).max(300).optional(), Group: groupRef.optional() };

const input = <T extends z.ZodRawShape>(shape: T) => inputOf(z.object(shape), badRequest);
const svc = (c: CallContext): GroupService => groups(c.core);
const refOf = (i: { Group?: string | undefined; GroupName?: string | undefined }) => i.Group ?? i.GroupName;
/** The ARN a call is authorized against: the group's ARN as given, or built from its name in the caller's account and region. */
const arnOfRef = (c: CallContext, ref: string | undefined) => (!ref ? '*' : ref.startsWith('arn:') ? ref : groupArn(c.region, c.accountId, ref));
const requestTags = (t: Record<string, string> | undefined) => (t ? { 'aws:TagKeys': Object.keys(t), ...Object.fromEntries(Object.entries(t).map(([k, v]) => [`aws:RequestTag/${k}`, v])) } : {});

function groupOut(g: GroupRow) {
  return {
    GroupArn: groupArn(g.region, g.account_id, g.name),
    Name: g.name,
    ...(g.description ? { Description: g.description } : {}),
    ...(g.criticality !== null ? { Criticality: g.criticality } : {}),
    ...(g.owner ? { Owner: g.owner } : {}),
    ...(g.display_name ? { DisplayName: g.display_name } : {}),
  };
}
const queryOut = (g: GroupRow) => (g.query_type ? { ResourceQuery: { Type: g.query_type, Query: g.query } } : {});
const identifier = (r: Resource) => ({ ResourceArn: r.arn, ResourceType: r.type });

/** The ARNs that name a resource of the caller's account and region, and those that do not (another account's, another region's, or nothing Capstan has). */
async function sortArns(c: CallContext, arns: string[]): Promise<{ found: Map<string, Resource>; failed: { ResourceArn: string; ErrorCode: string; ErrorMessage: string }[] }> {
  const all = await svc(c).resources(c.accountId, c.region);
  const byArn = new Map(all.map((r) => [r.arn, r]));
  const found = new Map<string, Resource>();
  const failed: { ResourceArn: string; ErrorCode: string; ErrorMessage: string }[] = [];
  for (const arn of arns) {
    const r = byArn.get(arn);
    if (r) found.set(arn, r);
    else failed.push({ ResourceArn: arn, ErrorCode: 'ResourceNotFound', ErrorMessage: `Resource ${arn} does not exist in account ${c.accountId}, region ${c.region}.` });
  }
  return { found, failed };
}

export const groupOperations = [
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'CreateGroup',
    http: { method: 'POST', path: '/groups' },
    input: input({ Name: z.string().min(1).max(300).regex(NAME), ResourceQuery: resourceQuery.optional(), Tags: tags.optional(), Configuration: configuration.optional(), ...details }),
    resources: (i, c) => [groupArn(c.region, c.accountId, i.Name)],
    conditionKeys: (i) => requestTags(i.Tags),
    handler: async (i, c) => {
      if (/^aws/i.test(i.Name)) throw badRequest(`Group name ${i.Name} is not allowed: names starting with "AWS" or "aws" are reserved.`);
      if (Object.keys(i.Tags ?? {}).length > 50) throw badRequest('A group can have at most 50 tags.');
      const g = await svc(c).create(c.accountId, c.region, i);
      return {
        Group: groupOut(g),
        ...queryOut(g),
        Tags: JSON.parse(g.tags) as Record<string, string>,
        ...(g.configuration ? { GroupConfiguration: { Configuration: JSON.parse(g.configuration) as unknown[], Status: 'UPDATE_COMPLETE' } } : {}),
      };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'GetGroup',
    http: { method: 'POST', path: '/get-group' },
    input: input(named),
    resources: (i, c) => [arnOfRef(c, refOf(i))],
    handler: async (i, c) => ({ Group: groupOut(await svc(c).find(c.accountId, c.region, refOf(i))) }),
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'GetGroupQuery',
    http: { method: 'POST', path: '/get-group-query' },
    input: input(named),
    resources: (i, c) => [arnOfRef(c, refOf(i))],
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, refOf(i));
      if (!g.query_type) throw badRequest(`Group ${g.name} holds an explicit list of resources; it has no resource query.`);
      return { GroupQuery: { GroupName: g.name, ResourceQuery: { Type: g.query_type, Query: g.query } } };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'UpdateGroup',
    http: { method: 'POST', path: '/update-group' },
    input: input({ ...named, ...details }),
    resources: (i, c) => [arnOfRef(c, refOf(i))],
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, refOf(i));
      return { Group: groupOut(await svc(c).update(g, i)) };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'UpdateGroupQuery',
    http: { method: 'POST', path: '/update-group-query' },
    input: input({ ...named, ResourceQuery: resourceQuery }),
    resources: (i, c) => [arnOfRef(c, refOf(i))],
    handler: async (i, c) => {
      const g = await svc(c).updateQuery(await svc(c).find(c.accountId, c.region, refOf(i)), i.ResourceQuery);
      return { GroupQuery: { GroupName: g.name, ResourceQuery: { Type: g.query_type, Query: g.query } } };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'DeleteGroup',
    http: { method: 'POST', path: '/delete-group' },
    input: input(named),
    resources: (i, c) => [arnOfRef(c, refOf(i))],
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, refOf(i));
      await svc(c).delete(g);
      return { Group: groupOut(g) };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'ListGroups',
    http: { method: 'POST', path: '/groups-list', query: { MaxResults: 'maxResults', NextToken: 'nextToken' } },
    input: input({
      Filters: z.array(z.object({ Name: z.enum(['resource-type', 'configuration-type', 'owner', 'display-name', 'criticality']), Values: z.array(z.string().min(1).max(300)).min(1).max(5) })).optional(),
      MaxResults: maxResults,
      NextToken: nextToken,
    }),
    handler: async (i, c) => {
      const rows = (await svc(c).list(c.accountId, c.region)).filter((g) => (i.Filters ?? []).every((f) => f.Values.some((v) => groupHas(g, f.Name, v))));
      const p = page(rows, `groups|${c.accountId}|${c.region}|${JSON.stringify(i.Filters ?? [])}`, i.NextToken, i.MaxResults ?? 50, badRequest);
      const ids = p.rows.map((g) => {
        const o = groupOut(g);
        return { GroupName: o.Name, GroupArn: o.GroupArn, ...(o.Description ? { Description: o.Description } : {}), ...(o.Criticality ? { Criticality: o.Criticality } : {}), ...(o.Owner ? { Owner: o.Owner } : {}), ...(o.DisplayName ? { DisplayName: o.DisplayName } : {}) };
      });
      return { GroupIdentifiers: ids, Groups: p.rows.map(groupOut), ...(p.next ? { NextToken: p.next } : {}) };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'ListGroupResources',
    http: { method: 'POST', path: '/list-group-resources' },
    input: input({ ...named, Filters: z.array(resourceTypeFilter).optional(), MaxResults: maxResults, NextToken: nextToken }),
    resources: (i, c) => [arnOfRef(c, refOf(i))],
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, refOf(i));
      const wanted = i.Filters?.length ? new Set(i.Filters.flatMap((f) => f.Values)) : undefined;
      const m = await svc(c).members(g, wanted);
      const p = page(m.resources, `members|${c.accountId}|${c.region}|${g.name}|${[...(wanted ?? [])].join(',')}`, i.NextToken, i.MaxResults ?? 50, badRequest);
      return {
        Resources: p.rows.map((r) => ({ Identifier: identifier(r) })),
        ResourceIdentifiers: p.rows.map(identifier),
        QueryErrors: m.queryErrors,
        ...(p.next ? { NextToken: p.next } : {}),
      };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'SearchResources',
    http: { method: 'POST', path: '/resources/search' },
    input: input({ ResourceQuery: resourceQuery, MaxResults: maxResults, NextToken: nextToken }),
    handler: async (i, c) => {
      const m = await svc(c).search(c.accountId, c.region, parseQuery(i.ResourceQuery));
      const p = page(m.resources, `search|${c.accountId}|${c.region}|${i.ResourceQuery.Query}`, i.NextToken, i.MaxResults ?? 50, badRequest);
      return { ResourceIdentifiers: p.rows.map(identifier), QueryErrors: m.queryErrors, ...(p.next ? { NextToken: p.next } : {}) };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'GroupResources',
    http: { method: 'POST', path: '/group-resources' },
    input: input({ Group: groupRef, ResourceArns: z.array(resourceArn).min(1).max(10) }),
    resources: (i, c) => [arnOfRef(c, i.Group)],
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, i.Group);
      if (g.query_type) throw badRequest(`Group ${g.name} is defined by a resource query; resources can be added only to a group created without one.`);
      const { found, failed } = await sortArns(c, i.ResourceArns);
      await svc(c).addMembers(g, [...found.keys()]);
      return { Succeeded: [...found.keys()], Failed: failed, Pending: [] };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'UngroupResources',
    http: { method: 'POST', path: '/ungroup-resources' },
    input: input({ Group: groupRef, ResourceArns: z.array(resourceArn).min(1).max(10) }),
    resources: (i, c) => [arnOfRef(c, i.Group)],
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, i.Group);
      if (g.query_type) throw badRequest(`Group ${g.name} is defined by a resource query; its members change with their tags, not by UngroupResources.`);
      const held = new Set(await svc(c).memberArns(g));
      const succeeded = [...new Set(i.ResourceArns)].filter((a) => held.has(a));
      const failed = [...new Set(i.ResourceArns)].filter((a) => !held.has(a)).map((a) => ({ ResourceArn: a, ErrorCode: 'ResourceNotFound', ErrorMessage: `Resource ${a} is not in group ${g.name}.` }));
      await svc(c).removeMembers(g, succeeded);
      return { Succeeded: succeeded, Failed: failed, Pending: [] };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'Tag',
    http: { method: 'PUT', path: '/resources/{Arn}/tags' },
    input: input({ Arn: z.string().min(12).max(1600).regex(GROUP_ARN), Tags: tags }),
    resources: (i) => [i.Arn],
    conditionKeys: (i) => requestTags(i.Tags),
    handler: async (i, c) => {
      checkTagKeys(Object.keys(i.Tags));
      const g = await svc(c).find(c.accountId, c.region, i.Arn);
      const next = { ...(JSON.parse(g.tags) as Record<string, string>), ...i.Tags };
      if (Object.keys(next).length > 50) throw badRequest('A group can have at most 50 tags.');
      await svc(c).setTags(g, next);
      return { Arn: i.Arn, Tags: i.Tags };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'Untag',
    http: { method: 'PATCH', path: '/resources/{Arn}/tags' },
    input: input({ Arn: z.string().min(12).max(1600).regex(GROUP_ARN), Keys: z.array(tagKey) }),
    resources: (i) => [i.Arn],
    conditionKeys: (i) => ({ 'aws:TagKeys': i.Keys }),
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, i.Arn);
      const next = { ...(JSON.parse(g.tags) as Record<string, string>) };
      for (const k of i.Keys) delete next[k];
      await svc(c).setTags(g, next);
      return { Arn: i.Arn, Keys: i.Keys };
    },
  }),
  defineOperation({
    service: RESOURCE_GROUPS,
    name: 'GetTags',
    http: { method: 'GET', path: '/resources/{Arn}/tags' },
    input: input({ Arn: z.string().min(12).max(1600).regex(GROUP_ARN) }),
    resources: (i) => [i.Arn],
    handler: async (i, c) => {
      const g = await svc(c).find(c.accountId, c.region, i.Arn);
      return { Arn: i.Arn, Tags: JSON.parse(g.tags) as Record<string, string> };
    },
  }),
];

function groupHas(g: GroupRow, filter: string, value: string): boolean {
  switch (filter) {
    case 'resource-type': {
      if (!g.query_type) return false;
      const types = parseQuery({ Type: g.query_type, Query: g.query }).ResourceTypeFilters;
      return types.includes(value);
    }
    case 'configuration-type':
      return g.configuration !== '' && (JSON.parse(g.configuration) as { Type: string }[]).some((c) => c.Type === value);
    case 'owner':
      return g.owner === value;
    case 'display-name':
      return g.display_name === value;
    default:
      return g.criticality !== null && String(g.criticality) === value;
  }
}
