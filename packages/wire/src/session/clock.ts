/** Time as the session library sees it, so tests can drive it by hand. */
export interface Clock {
  /** epoch milliseconds */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

/**
 * A clock that only moves when told to. Timers run in deadline order (ties in creation order),
 * each seeing `now()` equal to its deadline.
 */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  /** binary min-heap on (at, id); cancelled timers are dropped lazily */
  private heap: Timer[] = [];
  private live = new Set<number>();

  /** Starts at a plausible epoch time (AgentMessage rejects CreatedDate 0). */
  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: Timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
    this.live.add(timer.id);
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.live.delete(handle as number);
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.live.size;
  }

  private peek(): Timer | undefined {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.pop();
    return this.heap[0];
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /** The deadline of the next timer, if any. */
  nextDeadline(): number | undefined {
    return this.peek()?.at;
  }

  private runNext(limit: number): boolean {
    const t = this.peek();
    if (!t || t.at > limit) return false;
    this.pop();
    this.live.delete(t.id);
    this.time = Math.max(this.time, t.at);
    t.fn();
    return true;
  }

  /** Moves time forward by `ms`, running every timer that comes due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    while (this.runNext(end));
    this.time = Math.max(this.time, end);
  }

  /** Runs the next timer (moving time to it); false when there is none. */
  step(): boolean {
    return this.runNext(Infinity);
  }

  /**
   * Runs timers until `done()` holds or no timer is left; throws if that takes more than
   * `limit` timers (a live-lock in the code under test).
   */
  runUntil(done: () => boolean, limit = 1_000_000): void {
    let n = 0;
    while (!done()) {
      if (!this.step()) return;
      if (++n > limit) throw new Error(`ManualClock.runUntil: still not done after ${limit} timers`);
    }
  }
}
