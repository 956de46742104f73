import type { Core } from '../protocol/context.js';
import { parameterStore, type ParameterDb } from './store.js';
import type { ParameterRow, ParameterTables } from './tables.js';

const MAX_ENTRIES = 50_000;

/**
 * The current row of each parameter, the hot path of GetParameter. On SQLite this process is
 * the only writer of parameters, so rows are kept in memory and forgotten after every write
 * that changes them; on PostgreSQL other replicas write too, so every read goes to the store.
 */
export class CurrentRows {
  private readonly db: ParameterDb;
  private readonly cache: Map<string, ParameterRow | null> | undefined;
  /** Bumped by every forget: a read that raced a write must not store what it read. */
  private epoch = 0;

  constructor(core: Core) {
    this.db = core.database.db.withTables<ParameterTables>();
    this.cache = core.database.engine === 'sqlite' ? new Map() : undefined;
  }

  /** The cached row (null: known not to exist), or undefined when only the store can tell. */
  peek(account: string, region: string, name: string): ParameterRow | null | undefined {
    return this.cache?.get(`${account}|${region}|${name}`);
  }

  async get(account: string, region: string, name: string): Promise<ParameterRow | undefined> {
    if (!this.cache) return parameterStore.get(this.db, account, region, name);
    const key = `${account}|${region}|${name}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const epoch = this.epoch;
    const row = await parameterStore.get(this.db, account, region, name);
    if (epoch !== this.epoch) return row;
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, row ?? null);
    return row;
  }

  /** Called after the commit of every change to a parameter's row. */
  forget(account: string, region: string, name: string): void {
    this.epoch++;
    this.cache?.delete(`${account}|${region}|${name}`);
  }
}
