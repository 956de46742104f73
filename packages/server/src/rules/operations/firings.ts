import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { EVENTS } from '../../protocol/services.js';
import { listFirings } from '../firings.js';
import { ruleArn } from '../names.js';
import { ruleService } from '../slot.js';
import { limit, name, nextToken } from './shapes.js';

/**
 * Not an EventBridge operation: every firing of the account's rules (which target, for which
 * event, when, and what came of it). Whoever may read a rule may read its firings.
 */
export const firingOperations: AnyOperation[] = [
  defineOperation({
    service: EVENTS,
    name: 'CapstanListRuleFirings',
    action: 'events:DescribeRule',
    throttle: 'read',
    input: z.object({
      RuleName: name.optional(),
      TargetId: z.string().min(1).max(64).optional(),
      EventId: z.string().min(1).max(64).optional(),
      Status: z.enum(['PENDING', 'SUCCEEDED', 'FAILED']).optional(),
      NextToken: nextToken,
      Limit: limit,
    }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.RuleName ?? '*')],
    handler: (i, c) => listFirings(ruleService(c.core).db, c, i),
  }),
];
