import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { checkTagKeys, tagListSchema } from '../tagging/index.js';
import { invalidInstanceId, validation } from './errors.js';
import { describeInstanceInformation, describeInstanceProperties } from './listing.js';
import { nodeService } from './slot.js';

export const instanceArn = (region: string, account: string, id: string) => `arn:aws:ssm:${region}:${account}:managed-instance/${id}`;
const activationArn = (c: CallContext, id: string) => `arn:aws:ssm:${c.region}:${c.accountId}:activation/${id}`;

const INSTANCE_ID = /^mi-[0-9a-f]{17}$/;
const tagRequestKeys = (tags?: { Key: string; Value: string }[]) =>
  tags ? { 'aws:TagKeys': tags.map((t) => t.Key), ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) } : {};

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
      // Keys are checked by the handler, so an unknown one is InvalidFilterKey as on AWS.
      InstanceInformationFilterList: z.array(z.object({ key: z.string(), valueSet: z.array(z.string().min(1)).min(1).max(100) })).optional(),
      Filters: z.array(z.object({ Key: z.string().min(1), Values: z.array(z.string().min(1)).min(1).max(100) })).optional(),
      MaxResults: z.number().int().min(5).max(50).optional(),
      NextToken: z.string().optional(),
    }),
    handler: (i, c) => describeInstanceInformation(nodeService(c.core), c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeInstanceProperties',
    input: z.object({
      InstancePropertyFilterList: z.array(z.object({ key: z.string(), valueSet: z.array(z.string().min(1)).min(1).max(40) })).min(1).max(40).optional(),
      FiltersWithOperator: z
        .array(z.object({ Key: z.string().min(1).max(100_000), Values: z.array(z.string().min(1).max(100_000)).min(1).max(40), Operator: z.string().optional() }))
        .min(1)
        .max(40)
        .optional(),
      MaxResults: z.number().int().min(5).max(1000).optional(),
      NextToken: z.string().optional(),
    }),
    handler: (i, c) => describeInstanceProperties(nodeService(c.core), c, i),
  }),
];
