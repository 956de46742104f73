import type { Kysely } from 'kysely';
import { cacheKey, NotifiedCache } from '../cluster/notified-cache.js';
import type { Core } from '../protocol/context.js';
import type { RuleRow, RuleTables } from './tables.js';

/** What the database announces after every committed change to a rule's row: `{ a: account, r: region }`. */
export const RULE_CHANGED_TOPIC = 'rules.changed';

export type PatternedRule = Pick<RuleRow, 'name' | 'arn' | 'event_pattern'>;

/**
 * The enabled rules with an event pattern in each account and region: what every event written
 * is matched against, kept in memory since most writes of the system append an event and rules
 * change seldom. Forgotten after each change to a rule (on PostgreSQL, any replica's).
 */
export class PatternedRules {
  private readonly rules: NotifiedCache<PatternedRule[]>;

  constructor(core: Core, sharedTtlMs: number | undefined) {
    this.rules = new NotifiedCache(core, {
      topic: RULE_CHANGED_TOPIC,
      keyFields: ['a', 'r'],
      maxEntries: 10_000,
      sharedTtlMs,
    });
  }

  /** `db` is the transaction of the events being matched, which reads the rules when they are not in memory. */
  of(db: Kysely<RuleTables>, account: string, region: string): Promise<PatternedRule[]> {
    return this.rules.get(cacheKey(account, region), () =>
      db.selectFrom('event_rules').select(['name', 'arn', 'event_pattern']).where('account_id', '=', account).where('region', '=', region).where('state', '!=', 'DISABLED').where('event_pattern', '!=', '').execute(),
    );
  }

  /** Called after the commit of every change to a rule of the account and region. */
  forget(account: string, region: string): void {
    this.rules.forget(cacheKey(account, region));
  }
}
