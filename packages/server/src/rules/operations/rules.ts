import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { EVENTS } from '../../protocol/services.js';
import { validation } from '../errors.js';
import { checkBus, ruleArn } from '../names.js';
import { parsePattern } from '../pattern.js';
import { checkPattern } from '../service.js';
import { ruleService } from '../slot.js';
import type { RuleRow } from '../tables.js';
import { eventBus, eventPattern, limit, name, nextToken, tagConditions, tags } from './shapes.js';

const state = z.enum(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);

const ruleView = (r: RuleRow) => ({
  Name: r.name,
  Arn: r.arn,
  ...(r.event_pattern ? { EventPattern: r.event_pattern } : {}),
  ...(r.schedule_expression ? { ScheduleExpression: r.schedule_expression } : {}),
  State: r.state,
  ...(r.description ? { Description: r.description } : {}),
  ...(r.role_arn ? { RoleArn: r.role_arn } : {}),
  EventBusName: 'default',
});

const EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];

export const ruleOperations: AnyOperation[] = [
  defineOperation({
    service: EVENTS,
    name: 'PutRule',
    input: z.object({
      Name: name,
      ScheduleExpression: z.string().max(256).optional(),
      EventPattern: eventPattern.optional(),
      State: state.optional(),
      Description: z.string().max(512).optional(),
      RoleArn: z.string().min(1).max(1600).optional(),
      Tags: tags.optional(),
      EventBusName: eventBus,
    }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Name)],
    conditionKeys: (i) => (i.Tags ? tagConditions(i.Tags) : {}),
    handler: (i, c) => {
      checkBus(c, i.EventBusName);
      return ruleService(c.core).putRule(c, i);
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'DescribeRule',
    input: z.object({ Name: name, EventBusName: eventBus }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Name)],
    handler: async (i, c) => {
      checkBus(c, i.EventBusName);
      return { ...ruleView(await ruleService(c.core).requireRule(c, i.Name)), CreatedBy: c.accountId };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'ListRules',
    input: z.object({ NamePrefix: z.string().min(1).max(64).optional(), EventBusName: eventBus, NextToken: nextToken, Limit: limit }),
    handler: async (i, c) => {
      checkBus(c, i.EventBusName);
      const { rules, NextToken } = await ruleService(c.core).listRules(c, i);
      return { Rules: rules.map(ruleView), ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'DeleteRule',
    input: z.object({ Name: name, EventBusName: eventBus, Force: z.boolean().optional() }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Name)],
    handler: async (i, c) => {
      checkBus(c, i.EventBusName);
      await ruleService(c.core).deleteRule(c, i.Name);
      return {};
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'EnableRule',
    input: z.object({ Name: name, EventBusName: eventBus }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Name)],
    handler: async (i, c) => {
      checkBus(c, i.EventBusName);
      await ruleService(c.core).setState(c, i.Name, 'ENABLED');
      return {};
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'DisableRule',
    input: z.object({ Name: name, EventBusName: eventBus }),
    resources: (i, c) => [ruleArn(c.region, c.accountId, i.Name)],
    handler: async (i, c) => {
      checkBus(c, i.EventBusName);
      await ruleService(c.core).setState(c, i.Name, 'DISABLED');
      return {};
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'TestEventPattern',
    input: z.object({ EventPattern: eventPattern, Event: z.string() }),
    throttle: 'read',
    handler: async (i) => {
      checkPattern(i.EventPattern);
      let event: unknown;
      try {
        event = JSON.parse(i.Event);
      } catch {
        throw validation('Parameter Event is not valid: it is not JSON.');
      }
      const missing = event && typeof event === 'object' && !Array.isArray(event) ? EVENT_FIELDS.filter((f) => !(f in event)) : EVENT_FIELDS;
      if (missing.length) throw validation(`Parameter Event is not valid: an event has ${EVENT_FIELDS.join(', ')}; missing ${missing.join(', ')}.`);
      return { Result: parsePattern(i.EventPattern).matches(event) };
    },
  }),
];
