import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { EVENTS } from '../../protocol/services.js';
import { checkBus, NAME, ruleArn } from '../names.js';
import { ruleService } from '../slot.js';
import { eventBus, limit, name, nextToken } from './shapes.js';

const targetId = z.string().min(1).max(64).regex(NAME);
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

// Members of the model's Target that Capstan cannot act on (Kinesis, ECS, SQS, …) are refused, not ignored.
const target = z
  .object({
    Id: targetId,
    Arn: z.string().min(1).max(1600),
    RoleArn: z.string().min(1).max(1600).optional(),
    Input: z.string().max(8192).optional(),
    InputPath: z.string().max(256).optional(),
    InputTransformer: z.object({ InputPathsMap: z.record(z.string().max(256), z.string().max(256)).optional(), InputTemplate: z.string().min(1).max(8192) }).strict().optional(),
    RunCommandParameters: z
      .object({ RunCommandTargets: z.array(z.object({ Key: z.string().min(1).max(128).regex(TAG_TEXT), Values: z.array(z.string().min(1).max(256)).min(1).max(50) }).strict()).min(1).max(5) })
      .strict()
      .optional(),
    HttpParameters: z
      .object({ PathParameterValues: z.array(z.string().max(512)).optional(), HeaderParameters: z.record(z.string().max(512), z.string().max(512)).optional(), QueryStringParameters: z.record(z.string().max(512), z.string().max(512)).optional() })
      .strict()
      .optional(),
    RetryPolicy: z.object({ MaximumRetryAttempts: z.number().int().min(0).max(185).optional(), MaximumEventAgeInSeconds: z.number().int().min(60).max(86400).optional() }).strict().optional(),
  })
  .strict();

export const targetOperations: AnyOperation[] = [
  defineOperation({
    service: EVENTS,
    name: 'PutTargets',
    input: z.object({ Rule: name, EventBusName: eventBus, Targets: z.array(target).min(1).max(100) }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Rule)],
    handler: (i, c) => {
      checkBus(c, i.EventBusName);
      return ruleService(c.core).putTargets(c, i.Rule, i.Targets);
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'RemoveTargets',
    input: z.object({ Rule: name, EventBusName: eventBus, Ids: z.array(targetId).min(1).max(100), Force: z.boolean().optional() }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Rule)],
    handler: async (i, c) => {
      checkBus(c, i.EventBusName);
      await ruleService(c.core).removeTargets(c, i.Rule, i.Ids);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'ListTargetsByRule',
    input: z.object({ Rule: name, EventBusName: eventBus, NextToken: nextToken, Limit: limit }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Rule)],
    handler: (i, c) => {
      checkBus(c, i.EventBusName);
      return ruleService(c.core).listTargets(c, i.Rule, i);
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'ListRuleNamesByTarget',
    input: z.object({ TargetArn: z.string().min(1).max(1600), EventBusName: eventBus, NextToken: nextToken, Limit: limit }),
    handler: (i, c) => {
      checkBus(c, i.EventBusName);
      return ruleService(c.core).ruleNamesByTarget(c, i.TargetArn, i);
    },
  }),
];
