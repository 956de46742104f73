import { cacheKey, NotifiedCache } from '../cluster/notified-cache.js';
import type { Core } from '../protocol/context.js';
import { parameterStore, type ParameterDb } from './store.js';
import type { ParameterRow, ParameterTables } from './tables.js';

const MAX_ENTRIES = 50_000;

/**
 * What the database announces after every committed change to a parameter's row (a trigger on
 * PostgreSQL, see tables.ts), whichever replica or tool made it: `{ a: account, r: region, n: name }`.
 */
export const PARAMETER_CHANGED_TOPIC = 'parameters.changed';

/**
 * The current row of each parameter, the hot path of GetParameter, kept in memory and forgotten
 * after every write that changes it (on PostgreSQL, every replica's write: see NotifiedCache).
 */
export class CurrentRows {
  private readonly db: ParameterDb;
  private readonly rows: NotifiedCache<ParameterRow | null>;

  constructor(core: Core, sharedTtlMs: number | undefined) {
    this.db = core.database.db.withTables<ParameterTables>();
    this.rows = new NotifiedCache(core, {
      topic: PARAMETER_CHANGED_TOPIC,
      keyFields: ['a', 'r', 'n'],
      maxEntries: MAX_ENTRIES,
      sharedTtlMs,
    });
  }

  /** The cached row (null: known not to exist), or undefined when only the store can tell. */
  peek(account: string, region: string, name: string): ParameterRow | null | undefined {
    return this.rows.peek(cacheKey(account, region, name));
  }

  async get(account: string, region: string, name: string): Promise<ParameterRow | undefined> {
    return (await this.rows.get(cacheKey(account, region, name), async () => (await parameterStore.get(this.db, account, region, name)) ?? null)) ?? undefined;
  }

  /** Called after the commit of every change to a parameter's row. */
  forget(account: string, region: string, name: string): void {
    this.rows.forget(cacheKey(account, region, name));
  }
}
