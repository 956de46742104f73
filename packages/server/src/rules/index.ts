import type { Capability } from '../protocol/capability.js';
import { ConnectionService } from './connections.js';
import { Firings } from './fire.js';
import { eventOperations } from './operations/index.js';
import { startRetention } from './retention.js';
import { Router } from './routing.js';
import { RuleService } from './service.js';
import { connectionSlot, ruleSlot } from './slot.js';
import { ruleMigrations } from './tables.js';

export { parsePattern, PatternError, type EventPattern } from './pattern.js';
// What other capabilities may use to call a webhook the way targets do (maintenance window tasks).
export { checkEndpoint } from './connections.js';
export { connectionService } from './slot.js';
export { callWebhook, retryableStatus } from './webhook.js';

/**
 * Event rules: EventBridge's API (rules, targets, connections, API destinations) over the
 * events Capstan's capabilities write. Starts after the capabilities whose operations its
 * targets call (commands, automation).
 */
export const rulesCapability: Capability = {
  name: 'rules',
  migrations: ruleMigrations,
  operations: eventOperations,
  async start(core, options) {
    const rules = new RuleService(core, options.sharedCacheTtlMs);
    const connections = new ConnectionService(core);
    ruleSlot.set(core, rules);
    connectionSlot.set(core, connections);
    // For aws:ResourceTag conditions on rule ARNs.
    core.resourceTags.register('events', 'rule', async (arn, account, region) => {
      const row = await rules.db.selectFrom('event_rules').select('tags').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
      return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
    });
    new Router(core, rules.patterned);
    new Firings(core, connections);
    await startRetention(core);
  },
};
