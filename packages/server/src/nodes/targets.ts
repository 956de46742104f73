import { z } from 'zod';
import { AwsError } from '../protocol/errors.js';
import type { NodeService } from './service.js';
import type { InstanceRow } from './tables.js';

/** AWS's `Target`: Run Command, State Manager and Maintenance Windows all take these. */
export interface Target {
  Key: string;
  Values: string[];
}

export const targetSchema = z.object({
  Key: z.string().min(1).max(163).regex(/^([\p{L}\p{Z}\p{N}_.:/=\-@]*)$|resource-groups:ResourceTypeFilters|resource-groups:Name/u),
  Values: z.array(z.string()).max(50),
});

const invalidTarget = (message: string) => new AwsError('ValidationException', message, { messageMember: 'message' });

/** The managed nodes of a resource group, by name; the resource-groups capability provides it. */
export type GroupResolver = (account: string, region: string, groupName: string) => Promise<string[]>;

const groupResolvers = new WeakMap<NodeService, GroupResolver>();
/** Lets every caller of resolveTargets on this server name nodes by `resource-groups:Name`. */
export function registerGroupResolver(nodes: NodeService, resolver: GroupResolver): void {
  groupResolvers.set(nodes, resolver);
}

/** Group members are nodes either way: Capstan's managed nodes answer to both of AWS's type names. */
const NODE_GROUP_TYPES = new Set(['AWS::EC2::Instance', 'AWS::SSM::ManagedInstance']);

/**
 * The nodes a list of targets names. Each target narrows the set (a node must match every
 * target); the values of one target are alternatives. `InstanceIds` with `*` means every node.
 */
export async function resolveTargets(nodes: NodeService, account: string, region: string, targets: readonly Target[], resolver?: GroupResolver): Promise<InstanceRow[]> {
  const groups = resolver ?? groupResolvers.get(nodes);
  for (const t of targets) {
    if (t.Values.length === 0) throw invalidTarget(`Target ${t.Key} needs at least one value.`);
    if (t.Key === 'resource-groups:ResourceTypeFilters') {
      if (!targets.some((o) => o.Key === 'resource-groups:Name')) throw invalidTarget('Target key resource-groups:ResourceTypeFilters needs a resource-groups:Name target beside it.');
      const other = t.Values.find((v) => !NODE_GROUP_TYPES.has(v));
      if (other) throw invalidTarget(`resource-groups:ResourceTypeFilters value ${other} is not supported: use AWS::EC2::Instance or AWS::SSM::ManagedInstance.`);
      continue;
    }
    const known = t.Key === 'InstanceIds' || t.Key === 'tag-key' || t.Key.startsWith('tag:') || t.Key === 'resource-groups:Name';
    if (!known) throw invalidTarget(`Target key ${t.Key} is not supported: use InstanceIds, tag:<key>, tag-key or resource-groups:Name.`);
    if (t.Key.startsWith('tag:') && t.Key.length === 4) throw invalidTarget('Target key tag: needs a tag key after the colon.');
    if (t.Key === 'resource-groups:Name' && !groups) throw invalidTarget('Target key resource-groups:Name needs resource groups, which this server does not have.');
  }
  let rows = await nodes.instances(account, region);
  for (const t of targets) {
    const values = new Set(t.Values);
    if (t.Key === 'resource-groups:ResourceTypeFilters') continue;
    if (t.Key === 'InstanceIds') {
      if (!values.has('*')) rows = rows.filter((r) => values.has(r.instance_id));
    } else if (t.Key === 'resource-groups:Name') {
      const members = new Set<string>();
      for (const g of t.Values) for (const id of await groups!(account, region, g)) members.add(id);
      rows = rows.filter((r) => members.has(r.instance_id));
    } else {
      rows = rows.filter((r) => {
        const tags = JSON.parse(r.tags) as Record<string, string>;
        if (t.Key === 'tag-key') return Object.keys(tags).some((k) => values.has(k));
        const v = tags[t.Key.slice(4)];
        return v !== undefined && values.has(v);
      });
    }
  }
  return rows;
}
