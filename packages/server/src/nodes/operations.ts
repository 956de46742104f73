import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { checkTagKeys, tagListSchema } from '../tagging/index.js';
import { invalidFilterKey, invalidFilterValue, invalidInstanceId, validation } from './errors.js';
import { nodeService } from './slot.js';
import type { InstanceRow } from './tables.js';

export const instanceArn = (region: string, account: string, id: string) => `arn:aws:ssm:${region}:${account}:managed-instance/${id}`;
const activationArn = (c: CallContext, id: string) => `arn:aws:ssm:${c.region}:${c.accountId}:activation/${id}`;

const INSTANCE_ID = /^mi-[0-9a-f]{17}$/;
const FILTER_KEYS = ['InstanceIds', 'AgentVersion', 'PingStatus', 'PlatformTypes', 'ActivationIds', 'IamRole', 'ResourceType', 'AssociationStatus'] as const;
const values = z.array(z.string().min(1)).min(1).max(100);
const tagRequestKeys = (tags?: { Key: string; Value: string }[]) =>
  tags ? { 'aws:TagKeys': tags.map((t) => t.Key), ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) } : {};

/** What one filter key reads from a node; PingStatus is computed at read time. */
function attribute(key: string, row: InstanceRow, ping: string): string[] | undefined {
  const tags = JSON.parse(row.tags) as Record<string, string>;
  if (key.startsWith('tag:')) return key.slice(4) in tags ? [tags[key.slice(4)]!] : [];
  switch (key) {
    case 'tag-key': return Object.keys(tags);
    case 'InstanceIds': return [row.instance_id];
    case 'AgentVersion': return [row.agent_version];
    case 'PingStatus': return [ping];
    case 'PlatformTypes': return [row.platform_type];
    case 'ActivationIds': return [row.activation_id];
    case 'IamRole': return [row.iam_role];
    case 'ResourceType': return ['ManagedInstance'];
    case 'AssociationStatus': return [];
    default: return undefined;
  }
}

function view(row: InstanceRow, ping: string) {
  return {
    InstanceId: row.instance_id,
    PingStatus: ping,
    ...(row.last_ping_at !== null ? { LastPingDateTime: new Date(row.last_ping_at) } : {}),
    AgentVersion: row.agent_version,
    IsLatestVersion: false,
    PlatformType: row.platform_type,
    PlatformName: row.platform_name,
    PlatformVersion: row.platform_version,
    ActivationId: row.activation_id,
    IamRole: row.iam_role,
    RegistrationDate: new Date(row.registered_at),
    ResourceType: 'ManagedInstance',
    Name: row.name,
    IPAddress: row.ip_address,
    ComputerName: row.computer_name,
  };
}

export const nodeOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CreateActivation',
    input: z.object({
      Description: z.string().max(256).optional(),
      DefaultInstanceName: z.string().max(256).regex(/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u).optional(),
      IamRole: z.string().max(64),
      RegistrationLimit: z.number().int().min(1).max(1000).optional(),
      ExpirationDate: z.number().optional(),
      Tags: tagListSchema.optional(),
      RegistrationMetadata: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
    }),
    conditionKeys: (i) => tagRequestKeys(i.Tags),
    handler: async (i, c) => {
      if (!i.IamRole.trim()) throw validation('IamRole must name an IAM role.');
      if (i.Tags) checkTagKeys(i.Tags.map((t) => t.Key));
      return nodeService(c.core).createActivation(c.accountId, c.region, c.now, i);
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeActivations',
    input: z.object({
      Filters: z.array(z.object({ FilterKey: z.enum(['ActivationIds', 'DefaultInstanceName', 'IamRole']), FilterValues: z.array(z.string()).optional() })).optional(),
      MaxResults: z.number().int().min(1).max(50).optional(),
      NextToken: z.string().optional(),
    }),
    handler: (i, c) => nodeService(c.core).describeActivations(c.accountId, c.region, c.now, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteActivation',
    input: z.object({ ActivationId: z.string() }),
    resources: (i, c) => [activationArn(c, i.ActivationId)],
    handler: async (i, c) => {
      await nodeService(c.core).deleteActivation(c.accountId, c.region, i.ActivationId);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeregisterManagedInstance',
    input: z.object({ InstanceId: z.string().min(20).max(124) }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      if (!INSTANCE_ID.test(i.InstanceId)) throw invalidInstanceId(`Instance ${i.InstanceId} is not a managed instance id (mi-…).`);
      await nodeService(c.core).deregister(c.accountId, c.region, i.InstanceId);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateManagedInstanceRole',
    input: z.object({ InstanceId: z.string().min(20).max(124), IamRole: z.string().max(64) }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      if (!INSTANCE_ID.test(i.InstanceId)) throw invalidInstanceId(`Instance ${i.InstanceId} is not a managed instance id (mi-…).`);
      await nodeService(c.core).setRole(c.accountId, c.region, i.InstanceId, i.IamRole);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeInstanceInformation',
    input: z.object({
      InstanceInformationFilterList: z.array(z.object({ key: z.enum(FILTER_KEYS), valueSet: values })).optional(),
      Filters: z.array(z.object({ Key: z.string().min(1).max(128), Values: values })).optional(),
      MaxResults: z.number().int().min(5).max(50).optional(),
      NextToken: z.string().optional(),
    }),
    handler: async (i, c) => {
      if (i.InstanceInformationFilterList?.length && i.Filters?.length) throw validation('InstanceInformationFilterList and Filters cannot be used together.');
      const filters = [...(i.InstanceInformationFilterList ?? []).map((f) => ({ Key: f.key as string, Values: f.valueSet })), ...(i.Filters ?? [])];
      for (const f of filters) {
        if (!(FILTER_KEYS as readonly string[]).includes(f.Key) && f.Key !== 'tag-key' && !/^tag:.+/.test(f.Key)) throw invalidFilterKey(`The filter key ${f.Key} is not valid.`);
        if (f.Key === 'PingStatus' && f.Values.some((v) => !['Online', 'ConnectionLost', 'Inactive'].includes(v))) throw invalidFilterValue('PingStatus takes Online, ConnectionLost or Inactive.');
      }
      const svc = nodeService(c.core);
      const scope = JSON.stringify(['instances', c.accountId, c.region, filters]);
      const after = decodeToken(i.NextToken, scope, (a): a is string => typeof a === 'string');
      const matching = (await svc.instances(c.accountId, c.region))
        .filter((r) => after === undefined || r.instance_id > after)
        .map((r) => ({ r, ping: svc.pingStatus(r, c.now) }))
        .filter(({ r, ping }) => filters.every((f) => attribute(f.Key, r, ping)!.some((v) => f.Values.includes(v))));
      const limit = i.MaxResults ?? 10;
      const page = matching.slice(0, limit);
      return {
        InstanceInformationList: page.map(({ r, ping }) => view(r, ping)),
        ...(matching.length > limit ? { NextToken: encodeToken(scope, page[page.length - 1]!.r.instance_id) } : {}),
      };
    },
  }),
];
