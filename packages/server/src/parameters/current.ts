import type { ClusterBus } from '../cluster/bus.js';
import type { Core } from '../protocol/context.js';
import { parameterStore, type ParameterDb } from './store.js';
import type { ParameterRow, ParameterTables } from './tables.js';

const MAX_ENTRIES = 50_000;

/**
 * What the database announces after every committed change to a parameter's row (a trigger on
 * PostgreSQL, see tables.ts), whichever replica or tool made it: `{ a: account, r: region, n: name }`.
 */
export const PARAMETER_CHANGED_TOPIC = 'parameters.changed';

/** How long another replica's change may go unseen here should the bus fail without a sign. */
const DEFAULT_SHARED_CACHE_TTL_MS = 5_000;

interface Entry {
  row: ParameterRow | null;
  /** Date.now() after which the entry is not used; Infinity when this process is the only writer. */
  until: number;
}

/**
 * The current row of each parameter, the hot path of GetParameter, kept in memory and forgotten
 * after every write that changes it.
 *
 * On SQLite this process is the only writer. On PostgreSQL other replicas write too: the
 * database notifies every replica of each committed change over the cluster bus, so a row
 * changed elsewhere is forgotten here as soon as the notification arrives (a millisecond or
 * so after the commit). While the bus is down nothing is served from memory, everything is
 * forgotten when it comes back, and an entry is never used for longer than the TTL, which
 * bounds what a bus failing without a sign could hide.
 */
export class CurrentRows {
  private readonly db: ParameterDb;
  private readonly cache = new Map<string, Entry>();
  /** Bumped by every forget: a read that raced a write must not store what it read. */
  private epoch = 0;
  private readonly ttlMs: number;
  private readonly bus: ClusterBus | undefined;

  constructor(core: Core, options: { sharedTtlMs?: number } = {}) {
    this.db = core.database.db.withTables<ParameterTables>();
    const shared = core.database.engine !== 'sqlite';
    this.ttlMs = shared ? (options.sharedTtlMs ?? DEFAULT_SHARED_CACHE_TTL_MS) : Infinity;
    if (shared) {
      this.bus = core.cluster.bus;
      this.bus.subscribe(PARAMETER_CHANGED_TOPIC, (m: { a?: unknown; r?: unknown; n?: unknown }) => {
        if (typeof m?.a === 'string' && typeof m.r === 'string' && typeof m.n === 'string') this.forget(m.a, m.r, m.n);
      });
      this.bus.onResync(() => this.forgetAll());
    }
  }

  /** The cached row (null: known not to exist), or undefined when only the store can tell. */
  peek(account: string, region: string, name: string): ParameterRow | null | undefined {
    const hit = this.cache.get(`${account}|${region}|${name}`);
    if (hit === undefined || (this.bus !== undefined && (!this.bus.live || Date.now() >= hit.until))) return undefined;
    return hit.row;
  }

  async get(account: string, region: string, name: string): Promise<ParameterRow | undefined> {
    const hit = this.peek(account, region, name);
    if (hit !== undefined) return hit ?? undefined;
    const key = `${account}|${region}|${name}`;
    const epoch = this.epoch;
    const live = this.bus?.live ?? true;
    const row = await parameterStore.get(this.db, account, region, name);
    // Kept only if nothing was forgotten meanwhile, and (sharing the store) if the bus was
    // listening before the read began: a change committed after the read is then announced.
    if (epoch !== this.epoch || !live) return row;
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { row: row ?? null, until: this.ttlMs === Infinity ? Infinity : Date.now() + this.ttlMs });
    return row;
  }

  /** Called after the commit of every change to a parameter's row (and by the bus for other replicas' changes). */
  forget(account: string, region: string, name: string): void {
    this.epoch++;
    this.cache.delete(`${account}|${region}|${name}`);
  }

  private forgetAll(): void {
    this.epoch++;
    this.cache.clear();
  }
}
