import type { Kysely } from 'kysely';
import type { Clock } from '../scheduler/clock.js';
import type { Database } from '../store/database.js';
import type { ThrottleTables } from './tables.js';

export interface Limit {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: how many calls may arrive at once. */
  burst: number;
}

/**
 * A self-hosted operator owns the box, so the defaults are generous: AWS's 40 reads/s on
 * Parameter Store is the complaint Capstan answers. No family goes below 1,000/s.
 */
export const DEFAULT_LIMITS: Readonly<Record<'read' | 'write', Limit>> = {
  read: { rate: 50_000, burst: 100_000 },
  write: { rate: 5_000, burst: 10_000 },
};


interface Bucket {
  tokens: number;
  updatedAt: number;
  limit: Limit;
}

/** Per-account token buckets, one per operation family (`ssm:read`, `kms:write`, …). */
export class Throttle {
  /**
   * By account, then family: every call finds its bucket with the account's and the family's own
   * strings, not a key concatenated (and hashed) per call.
   */
  private readonly buckets = new Map<string, Map<string, Bucket>>();
  private overrides = new Map<string, Limit>();
  private readonly db: Kysely<ThrottleTables>;

  constructor(
    database: Database,
    private readonly clock: Clock,
  ) {
    this.db = database.db.withTables<ThrottleTables>();
  }

  /** Loads configured limits; called at start and periodically so every replica converges. */
  async reload(): Promise<void> {
    const rows = await this.db.selectFrom('throttle_limits').selectAll().execute();
    const next = new Map<string, Limit>();
    for (const r of rows) next.set(`${r.account_id}|${r.family}`, { rate: r.rate, burst: r.burst });
    this.overrides = next;
    // A changed limit starts a full bucket, so raising a limit helps at once.
    for (const [accountId, families] of this.buckets) {
      for (const [family, bucket] of families) {
        const limit = this.limitFor(accountId, family);
        if (limit.rate !== bucket.limit.rate || limit.burst !== bucket.limit.burst) {
          bucket.limit = limit;
          bucket.tokens = limit.burst;
        }
      }
    }
  }

  async setLimit(accountId: string, family: string, limit: Limit): Promise<void> {
    checkLimit(family, limit);
    await this.db.deleteFrom('throttle_limits').where('account_id', '=', accountId).where('family', '=', family).execute();
    await this.db.insertInto('throttle_limits').values({ account_id: accountId, family, rate: limit.rate, burst: limit.burst }).execute();
    await this.reload();
  }

  async resetLimit(accountId: string, family: string): Promise<void> {
    await this.db.deleteFrom('throttle_limits').where('account_id', '=', accountId).where('family', '=', family).execute();
    await this.reload();
  }

  listLimits() {
    return this.db.selectFrom('throttle_limits').selectAll().orderBy('account_id').orderBy('family').execute();
  }

  /** Takes one token; false means the call is over the limit. */
  take(accountId: string, family: string): boolean {
    const now = this.clock.now();
    let families = this.buckets.get(accountId);
    let bucket = families?.get(family);
    if (!bucket) {
      const limit = this.limitFor(accountId, family);
      bucket = { tokens: limit.burst, updatedAt: now, limit };
      if (!families) this.buckets.set(accountId, (families = new Map()));
      families.set(family, bucket);
    } else if (now > bucket.updatedAt) {
      bucket.tokens = Math.min(bucket.limit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * bucket.limit.rate);
      bucket.updatedAt = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private limitFor(accountId: string, family: string): Limit {
    const override = this.overrides.get(`${accountId}|${family}`);
    if (override) return override;
    return family.endsWith(':read') ? DEFAULT_LIMITS.read : DEFAULT_LIMITS.write;
  }
}

export function checkLimit(family: string, limit: Limit): void {
  if (!/^[a-z0-9-]+:(read|write)$/.test(family)) throw new Error(`throttle family ${family} must look like ssm:read or kms:write`);
  if (!Number.isInteger(limit.rate) || limit.rate < 1) throw new Error('throttle rate must be a whole number of calls per second, at least 1');
  if (!Number.isInteger(limit.burst) || limit.burst < 1) throw new Error('throttle burst must be a whole number of at least 1');
}
