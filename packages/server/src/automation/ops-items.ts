import type { Core } from '../protocol/context.js';

/** Answers the ids of the executions started from the given OpsItems. */
export type OpsItemExecutions = (account: string, region: string, opsItemIds: readonly string[]) => Promise<string[]>;

const sources = new WeakMap<Core, OpsItemExecutions[]>();

/**
 * OpsCenter, which starts after automation, registers here at start the executions it started
 * from OpsItems, so DescribeAutomationExecutions can filter on OpsItemId without knowing OpsCenter.
 */
export function registerOpsItemExecutions(core: Core, source: OpsItemExecutions): void {
  sources.set(core, [...(sources.get(core) ?? []), source]);
}

export async function executionsOfOpsItems(core: Core, account: string, region: string, opsItemIds: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const source of sources.get(core) ?? []) for (const id of await source(account, region, opsItemIds)) ids.add(id);
  return [...ids];
}
