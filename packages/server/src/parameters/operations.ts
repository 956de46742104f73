import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { tagListSchema, checkTagKeys } from '../tagging/index.js';
import { parameterNotFound } from './errors.js';
import { parameterArn, parseReference, referenceIn } from './names.js';
import { parameterReads, parameterWrites } from './slots.js';

// Shapes and limits of the AmazonSSM model.
const name = z.string().min(1).max(2048);
const names = z.array(name).min(1).max(10);
const keyId = z.string().min(1).max(256).regex(/^([a-zA-Z0-9:/_-]+)$/);
const label = z.string().min(1).max(100);
const stringFilter = z.object({ Key: z.string().min(1).max(132).regex(/^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$/), Option: z.string().min(1).max(10).optional(), Values: z.array(z.string().min(1).max(1024)).min(1).max(50).optional() });
const parameterType = z.enum(['String', 'StringList', 'SecureString']);

/** The ARN IAM checks for a name as the caller gave it: a name or an ARN, with or without a selector. */
function arnFor(call: CallContext, given: string, input?: object): string {
  const ref = safeReference(call, given, input);
  if (ref) return parameterArn(call.region, call.accountId, ref);
  const trimmed = given.trim();
  if (!trimmed.startsWith('arn:')) return parameterArn(call.region, call.accountId, trimmed);
  // Another account's or region's ARN: checked as given, less any selector.
  const at = trimmed.indexOf(':parameter/');
  const selector = at < 0 ? -1 : trimmed.indexOf(':', at + ':parameter/'.length);
  return selector < 0 ? trimmed : trimmed.slice(0, selector);
}

function safeReference(call: CallContext, given: string, input?: object): string | undefined {
  try {
    return (input ? referenceIn(input, given, call.region, call.accountId) : parseReference(given, call.region, call.accountId))?.name;
  } catch {
    return undefined;
  }
}

const pathArn = (call: CallContext, path: string) => `arn:aws:ssm:${call.region}:${call.accountId}:parameter/${path.trim().replace(/^\//, '').replace(/\/$/, '')}`;

export const parameterOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'PutParameter',
    input: z.object({
      Name: name,
      Description: z.string().max(1024).optional(),
      Value: z.string().min(1).max(32768),
      Type: parameterType.optional(),
      KeyId: keyId.optional(),
      Overwrite: z.boolean().optional(),
      AllowedPattern: z.string().max(1024).optional(),
      Tags: tagListSchema.optional(),
      Tier: z.enum(['Standard', 'Advanced', 'Intelligent-Tiering']).optional(),
      Policies: z.string().min(1).max(4096).optional(),
      DataType: z.string().max(128).optional(),
    }),
    sensitive: ['Value'],
    resources: (i, c) => [arnFor(c, i.Name)],
    conditionKeys: (i) => ({
      'ssm:Overwrite': i.Overwrite ?? false,
      ...(i.Tags ? { 'aws:TagKeys': i.Tags.map((t) => t.Key), ...Object.fromEntries(i.Tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) } : {}),
    }),
    handler: async (i, c) => {
      if (i.Tags) checkTagKeys(i.Tags.map((t) => t.Key));
      return parameterWrites(c.core).put(c, i);
    },
  }),
  defineOperation({
    service: SSM,
    name: 'GetParameter',
    input: z.object({ Name: name, WithDecryption: z.boolean().optional() }),
    resources: (i, c) => [arnFor(c, i.Name, i)],
    handler: (i, c) => parameterReads(c.core).get(c, i.Name, i.WithDecryption ?? false, i),
  }),
  defineOperation({
    service: SSM,
    name: 'GetParameters',
    input: z.object({ Names: names, WithDecryption: z.boolean().optional() }),
    resources: (i, c) => i.Names.map((n) => arnFor(c, n)),
    handler: (i, c) => parameterReads(c.core).getMany(c, i.Names, i.WithDecryption ?? false),
  }),
  defineOperation({
    service: SSM,
    name: 'GetParametersByPath',
    input: z.object({
      Path: name,
      Recursive: z.boolean().optional(),
      ParameterFilters: z.array(stringFilter).optional(),
      WithDecryption: z.boolean().optional(),
      MaxResults: z.number().int().min(1).max(10).optional(),
      NextToken: z.string().optional(),
    }),
    resources: (i, c) => [pathArn(c, i.Path)],
    handler: (i, c) => parameterReads(c.core).byPath(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeParameters',
    input: z.object({
      Filters: z.array(z.object({ Key: z.enum(['Name', 'Type', 'KeyId']), Values: z.array(z.string().min(1).max(1024)).min(1).max(50) })).optional(),
      ParameterFilters: z.array(stringFilter).optional(),
      MaxResults: z.number().int().min(1).max(50).optional(),
      NextToken: z.string().optional(),
      Shared: z.boolean().optional(),
    }),
    handler: (i, c) => parameterReads(c.core).describe(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'GetParameterHistory',
    input: z.object({ Name: name, WithDecryption: z.boolean().optional(), MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => [arnFor(c, i.Name)],
    handler: (i, c) => parameterReads(c.core).history(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteParameter',
    input: z.object({ Name: name }),
    resources: (i, c) => [parameterArn(c.region, c.accountId, i.Name.trim())],
    handler: async (i, c) => {
      if (!(await parameterWrites(c.core).delete(c.accountId, c.region, i.Name.trim()))) throw parameterNotFound(`Parameter ${i.Name.trim()} not found.`);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteParameters',
    input: z.object({ Names: names }),
    resources: (i, c) => i.Names.map((n) => parameterArn(c.region, c.accountId, n.trim())),
    handler: async (i, c) => {
      const deleted: string[] = [];
      const invalid: string[] = [];
      for (const n of [...new Set(i.Names)]) ((await parameterWrites(c.core).delete(c.accountId, c.region, n.trim())) ? deleted : invalid).push(n);
      return { DeletedParameters: deleted, InvalidParameters: invalid };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'LabelParameterVersion',
    input: z.object({ Name: name, ParameterVersion: z.number().int().optional(), Labels: z.array(label).min(1).max(10) }),
    resources: (i, c) => [arnFor(c, i.Name)],
    handler: (i, c) => parameterWrites(c.core).label(c.accountId, c.region, plain(c, i.Name), i.ParameterVersion, i.Labels),
  }),
  defineOperation({
    service: SSM,
    name: 'UnlabelParameterVersion',
    input: z.object({ Name: name, ParameterVersion: z.number().int(), Labels: z.array(label).min(1).max(10) }),
    resources: (i, c) => [arnFor(c, i.Name)],
    handler: (i, c) => parameterWrites(c.core).unlabel(c.accountId, c.region, plain(c, i.Name), i.ParameterVersion, i.Labels),
  }),
];

/** Label operations take a name or an ARN, never a selector. */
function plain(call: CallContext, given: string): string {
  const ref = parseReference(given, call.region, call.accountId);
  if (!ref || ref.selector.kind !== 'latest') throw parameterNotFound(`Parameter ${given} not found.`);
  return ref.name;
}
