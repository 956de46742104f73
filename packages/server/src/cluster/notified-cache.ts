import type { Core } from '../protocol/context.js';

/** How long another replica's change may go unseen here should the bus fail without a sign. */
export const DEFAULT_SHARED_CACHE_TTL_MS = 5_000;

/** The key of an entry: the parts that name what it was read from (account, region, name…). */
export const cacheKey = (...parts: string[]) => parts.join('|');

export interface NotifiedCacheOptions {
  /** The bus topic on which the database announces a change (a trigger, see change-notice.ts). */
  topic: string;
  /** The notice's fields that name the changed entry, in the order of `cacheKey`'s parts. */
  keyFields: readonly string[];
  maxEntries: number;
  /** On a shared store, how long an entry may be used at most. */
  sharedTtlMs?: number | undefined;
}

interface Entry<V> {
  value: V;
  /** Date.now() after which the entry is not used; Infinity when this process is the only writer. */
  until: number;
}

/**
 * Values read from the store, kept in memory and forgotten after every change to what they
 * were read from.
 *
 * On SQLite this process is the only writer, and its writes call `forget` once committed. On
 * PostgreSQL other replicas write too: the database announces each committed change on the
 * cluster bus, and the key it names is forgotten here as soon as the notice arrives (a
 * millisecond or so after the commit). While the bus is down nothing is served from memory,
 * everything is forgotten when it comes back, and an entry is never used for longer than the
 * TTL, which bounds what a bus failing without a sign could hide.
 */
export class NotifiedCache<V> {
  private readonly cache = new Map<string, Entry<V>>();
  /** Bumped by every forget: a read that raced a write must not store what it read. */
  private epoch = 0;
  private readonly ttlMs: number;
  private readonly bus: Core['cluster']['bus'] | undefined;

  constructor(core: Core, private readonly options: NotifiedCacheOptions) {
    const shared = core.database.engine !== 'sqlite';
    this.ttlMs = shared ? (options.sharedTtlMs ?? DEFAULT_SHARED_CACHE_TTL_MS) : Infinity;
    if (shared) {
      this.bus = core.cluster.bus;
      this.bus.subscribe(options.topic, (m: Record<string, unknown> | undefined) => {
        const parts = options.keyFields.map((f) => m?.[f]);
        // A notice not understood is ignored; the TTL still bounds what it may have announced.
        if (parts.every((p): p is string => typeof p === 'string')) this.forget(cacheKey(...parts));
      });
      this.bus.onResync(() => this.forgetAll());
    }
  }

  /** The cached value, or undefined when only the store can tell. */
  peek(key: string): V | undefined {
    const hit = this.cache.get(key);
    if (hit === undefined || (this.bus !== undefined && (!this.bus.live || Date.now() >= hit.until))) return undefined;
    return hit.value;
  }

  /** The cached value, else what `load` reads (kept when nothing may have changed meanwhile). */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.peek(key);
    if (hit !== undefined) return hit;
    const epoch = this.epoch;
    const live = this.bus?.live ?? true;
    const value = await load();
    // Kept only if nothing was forgotten meanwhile, and (sharing the store) if the bus was
    // listening before the read began: a change committed after the read is then announced.
    if (epoch !== this.epoch || !live) return value;
    if (this.cache.size >= this.options.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { value, until: this.ttlMs === Infinity ? Infinity : Date.now() + this.ttlMs });
    return value;
  }

  /** Called after the commit of every change to what `key` was read from (and by the bus for other replicas' changes). */
  forget(key: string): void {
    this.epoch++;
    this.cache.delete(key);
  }

  forgetAll(): void {
    this.epoch++;
    this.cache.clear();
  }
}
