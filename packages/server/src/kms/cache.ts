import type { Clock } from '../scheduler/clock.js';

/**
 * A bounded map that forgets the least recently used entry first. Holds unsealed key material:
 * a version's material never changes, so entries only leave when the key is deleted or the map
 * is full.
 */
export class LruMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  deletePrefix(prefix: string): void {
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.map.delete(k);
  }
}

/**
 * Entries that may be stale for at most `ttlMs`: key state and alias targets. This process clears
 * an entry the moment it changes one; another replica sharing PostgreSQL sees the change within
 * the TTL.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly capacity = 50_000,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    // A clock moved backwards (tests set it) must not keep an entry alive for longer.
    const now = this.clock.now();
    if (hit.until <= now || hit.until - now > this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.capacity) this.map.clear();
    this.map.set(key, { value, until: this.clock.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
