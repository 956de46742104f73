import type { Clock } from '../scheduler/clock.js';

const WINDOW_MS = 5 * 60 * 1000;
const MAX_FAILURES = 10;
const MAX_TRACKED = 10_000;

/**
 * Slows password and secret guessing: an address with ten failed sign-ins in five minutes is
 * refused until the window passes. Kept per replica, in memory: it bounds guessing, it is not
 * an account lockout (which would let anyone lock a user out).
 */
export class FailedSignIns {
  private readonly byAddress = new Map<string, { count: number; since: number }>();

  constructor(private readonly clock: Clock) {}

  blocked(address: string): boolean {
    const entry = this.byAddress.get(address);
    if (!entry) return false;
    if (this.clock.now() - entry.since >= WINDOW_MS) {
      this.byAddress.delete(address);
      return false;
    }
    return entry.count >= MAX_FAILURES;
  }

  failed(address: string): void {
    const now = this.clock.now();
    const entry = this.byAddress.get(address);
    if (entry && now - entry.since < WINDOW_MS) entry.count++;
    else {
      // Forgetting every address at once is crude, but only an attack from very many fills it.
      if (this.byAddress.size >= MAX_TRACKED) this.byAddress.clear();
      this.byAddress.set(address, { count: 1, since: now });
    }
  }
}
