import type { Core } from '../protocol/context.js';
import type { NodeService } from './service.js';

const MARK = ':managed-instance/';

/**
 * `aws:ResourceTag/…` and `ssm:resourceTag/…` conditions on managed-instance ARNs (SendCommand,
 * DeregisterManagedInstance, UpdateManagedInstanceRole, …) read the node's tags. An unknown node
 * has none, so a condition on its tags never matches.
 */
export function registerNodeResourceTags(core: Core, svc: NodeService): void {
  core.resourceTags.register('ssm', 'managed-instance', async (arn, account, region) => {
    const at = arn.indexOf(MARK);
    if (at < 0 || !account) return undefined;
    const row = await svc.instance(account, region, arn.slice(at + MARK.length));
    return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
  });
}
