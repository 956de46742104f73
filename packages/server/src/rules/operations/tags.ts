import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { EVENTS } from '../../protocol/services.js';
import { validation } from '../errors.js';
import { ruleService } from '../slot.js';
import { tagConditions, tags } from './shapes.js';

const resourceArn = z.string().min(1).max(1600);

/** AWS reserves the `aws:` prefix for its own tags. */
function checkKeys(keys: readonly string[]): void {
  const reserved = keys.find((k) => k.toLowerCase().startsWith('aws:'));
  if (reserved) throw validation(`Tag keys starting with "aws:" are reserved: ${reserved}`);
}

export const tagOperations: AnyOperation[] = [
  defineOperation({
    service: EVENTS,
    name: 'TagResource',
    input: z.object({ ResourceARN: resourceArn, Tags: tags }),
    resources: (i) => [i.ResourceARN],
    conditionKeys: (i) => tagConditions(i.Tags),
    handler: async (i, c) => {
      checkKeys(i.Tags.map((t) => t.Key));
      await ruleService(c.core).setTags(c, i.ResourceARN, (old) => ({ ...old, ...Object.fromEntries(i.Tags.map((t) => [t.Key, t.Value])) }));
      return {};
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'UntagResource',
    input: z.object({ ResourceARN: resourceArn, TagKeys: z.array(z.string().min(1).max(128)).max(50) }),
    resources: (i) => [i.ResourceARN],
    conditionKeys: (i) => ({ 'aws:TagKeys': i.TagKeys }),
    handler: async (i, c) => {
      await ruleService(c.core).setTags(c, i.ResourceARN, (old) => Object.fromEntries(Object.entries(old).filter(([k]) => !i.TagKeys.includes(k))));
      return {};
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'ListTagsForResource',
    input: z.object({ ResourceARN: resourceArn }),
    resources: (i) => [i.ResourceARN],
    handler: async (i, c) => {
      const t = await ruleService(c.core).tagsOf(c, i.ResourceARN);
      return { Tags: Object.entries(t).sort(([a], [b]) => a.localeCompare(b)).map(([Key, Value]) => ({ Key, Value })) };
    },
  }),
];
