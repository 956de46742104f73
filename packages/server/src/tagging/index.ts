import { z } from 'zod';
import { ServiceSlot, type Capability } from '../protocol/capability.js';
import type { CallContext, Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';

export type Tags = Record<string, string>;

/** How one SSM resource type is tagged; each capability registers its own at start. */
export interface Taggable {
  resourceType: 'Document' | 'ManagedInstance' | 'MaintenanceWindow' | 'Parameter' | 'PatchBaseline' | 'OpsItem' | 'OpsMetadata' | 'Automation' | 'Association';
  arn(account: string, region: string, id: string): string;
  /** The resource's tags, or undefined when it does not exist. */
  get(account: string, region: string, id: string): Promise<Tags | undefined>;
  set(account: string, region: string, id: string, tags: Tags): Promise<void>;
  /** Every resource of the type in the account and region, with its tags (the tagging API and resource groups read these). */
  list(account: string, region: string): Promise<{ id: string; tags: Tags }[]>;
  /** Most resources take 50 tags; automations 5. */
  maxTags?: number;
}

const RESOURCE_TYPES = ['Document', 'ManagedInstance', 'MaintenanceWindow', 'Parameter', 'PatchBaseline', 'OpsItem', 'OpsMetadata', 'Automation', 'Association'] as const;

export class TaggingService {
  private readonly types = new Map<string, Taggable>();
  register(t: Taggable): void {
    this.types.set(t.resourceType, t);
  }
  all(): Taggable[] {
    return [...this.types.values()];
  }
  of(resourceType: string): Taggable {
    const t = this.types.get(resourceType);
    if (!t) throw new AwsError('InvalidResourceType', `The resource type ${resourceType} cannot be tagged here.`, { messageMember: 'none' });
    return t;
  }
}

const slot = new ServiceSlot<TaggingService>('tagging');
export const taggingService = (core: Core): TaggingService => slot.get(core);

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const tag = z.object({ Key: z.string().min(1).max(128).regex(TAG_TEXT), Value: z.string().max(256).regex(TAG_TEXT) });
export const tagListSchema = z.array(tag).max(1000);

/** AWS reserves the `aws:` prefix for its own tags. */
export function checkTagKeys(keys: readonly string[]): void {
  const reserved = keys.find((k) => k.toLowerCase().startsWith('aws:'));
  if (reserved) throw new AwsError('ValidationException', `Tag keys starting with "aws:" are reserved: ${reserved}`, { messageMember: 'message' });
}

const resourceInput = { ResourceType: z.enum(RESOURCE_TYPES), ResourceId: z.string().min(1).max(2048) };

async function target(call: CallContext, type: string, id: string) {
  const t = taggingService(call.core).of(type);
  const tags = await t.get(call.accountId, call.region, id);
  if (!tags) throw new AwsError('InvalidResourceId', `The resource ${id} of type ${type} was not found.`, { messageMember: 'none' });
  return { t, tags };
}

const arnOf = (call: CallContext, type: string, id: string) => taggingService(call.core).of(type).arn(call.accountId, call.region, id);

const operations = [
  defineOperation({
    service: SSM,
    name: 'AddTagsToResource',
    input: z.object({ ...resourceInput, Tags: tagListSchema }),
    resources: (i, c) => [arnOf(c, i.ResourceType, i.ResourceId)],
    conditionKeys: (i) => ({ 'aws:TagKeys': i.Tags.map((t) => t.Key), ...Object.fromEntries(i.Tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) }),
    handler: async (i, c) => {
      checkTagKeys(i.Tags.map((t) => t.Key));
      const { t, tags } = await target(c, i.ResourceType, i.ResourceId);
      const next = { ...tags, ...Object.fromEntries(i.Tags.map((x) => [x.Key, x.Value])) };
      const max = t.maxTags ?? 50;
      if (Object.keys(next).length > max) throw new AwsError('TooManyTagsError', `A ${i.ResourceType} can have at most ${max} tags.`, { messageMember: 'none' });
      await t.set(c.accountId, c.region, i.ResourceId, next);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'RemoveTagsFromResource',
    input: z.object({ ...resourceInput, TagKeys: z.array(z.string().min(1).max(128)) }),
    resources: (i, c) => [arnOf(c, i.ResourceType, i.ResourceId)],
    conditionKeys: (i) => ({ 'aws:TagKeys': i.TagKeys }),
    handler: async (i, c) => {
      const { t, tags } = await target(c, i.ResourceType, i.ResourceId);
      const next = { ...tags };
      for (const k of i.TagKeys) delete next[k];
      await t.set(c.accountId, c.region, i.ResourceId, next);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListTagsForResource',
    input: z.object(resourceInput),
    resources: (i, c) => [arnOf(c, i.ResourceType, i.ResourceId)],
    handler: async (i, c) => {
      const { tags } = await target(c, i.ResourceType, i.ResourceId);
      return { TagList: Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)).map(([Key, Value]) => ({ Key, Value })) };
    },
  }),
];

export const taggingCapability: Capability = {
  name: 'tagging',
  migrations: [],
  operations,
  start(core) {
    slot.set(core, new TaggingService());
  },
};
