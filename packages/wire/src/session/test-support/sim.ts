/** Helpers for the session tests: a seeded PRNG and a lossy, reordering, duplicating link. */
import { decodeAgentMessage, type AgentMessage } from '../agent-message.js';
import type { ManualClock } from '../clock.js';

/** mulberry32: a small, fast, seeded PRNG. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** [0, 1) */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = (this.next() * 256) | 0;
    return b;
  }
}

export interface LinkOptions {
  loss?: number;
  duplicate?: number;
  /** ms, fixed part of the one-way delay */
  latency?: number;
  /** ms, random extra delay (reorders messages) */
  jitter?: number;
}

/**
 * One direction of a simulated connection. Messages are delivered by clock timers; `cut()`
 * drops everything still in flight and everything sent later, as a dead WebSocket does.
 */
export class Link {
  sent: AgentMessage[] = [];
  delivered = 0;
  dropped = 0;
  private dead = false;
  /** set to hold every message (as if the peer stopped reading); release() lets them go */
  private holding: Buffer[] | undefined;

  constructor(
    private readonly clock: ManualClock,
    private readonly rng: Rng,
    private readonly to: (bytes: Buffer) => void,
    private readonly opts: LinkOptions = {},
    /** keep decoded copies of everything sent (for wire checks) */
    private readonly record = true,
  ) {}

  readonly send = (sent: Buffer): void => {
    // what crosses a network is a copy: the sender may write the buffer again once it is acknowledged
    const bytes = Buffer.from(sent);
    if (this.record) this.sent.push(decodeAgentMessage(bytes));
    if (this.dead) {
      this.dropped++;
      return;
    }
    if (this.holding) {
      this.holding.push(bytes);
      return;
    }
    this.transmit(bytes);
  };

  private transmit(bytes: Buffer): void {
    const { loss = 0, duplicate = 0, latency = 5, jitter = 0 } = this.opts;
    if (this.rng.chance(loss)) {
      this.dropped++;
      return;
    }
    const copies = this.rng.chance(duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = latency + (jitter > 0 ? this.rng.next() * jitter : 0);
      this.clock.setTimeout(() => {
        if (this.dead) {
          this.dropped++;
          return;
        }
        this.delivered++;
        this.to(bytes);
      }, delay);
    }
  }

  hold(): void {
    this.holding ??= [];
  }

  release(): void {
    const held = this.holding ?? [];
    this.holding = undefined;
    for (const b of held) this.transmit(b);
  }

  cut(): void {
    this.dead = true;
  }
}

/** Adjacent payloads of the same byte-stream type merged, so framing does not matter. */
export function normalize(records: Array<{ type: number; bytes: Buffer }>, isStream: (t: number) => boolean): Array<{ type: number; bytes: Buffer }> {
  const out: Array<{ type: number; parts: Buffer[] }> = [];
  for (const r of records) {
    const last = out[out.length - 1];
    if (last && isStream(r.type) && last.type === r.type) last.parts.push(r.bytes);
    else if (isStream(r.type) && r.bytes.length === 0) continue;
    else out.push({ type: r.type, parts: [r.bytes] });
  }
  return out.map((o) => ({ type: o.type, bytes: Buffer.concat(o.parts) }));
}
