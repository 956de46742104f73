import { invalidSignal } from '../errors.js';
import type { Action } from './types.js';

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO 8601 duration in milliseconds (years as 365 days, months as 30: how long a sleep waits, not calendar arithmetic). */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  return ((((y! * 365 + mo! * 30 + w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + s!) * 1000;
}

/** aws:sleep: Duration (ISO 8601) or Timestamp; the wait is a scheduler job, not a timer in memory. */
export const sleep: Action = {
  repeatable: () => true,
  prepare(ctx) {
    const { Duration: duration, Timestamp: timestamp } = ctx.inputs;
    const until = typeof timestamp === 'string' ? Date.parse(timestamp) : ctx.now + (durationMs(String(duration)) ?? NaN);
    if (Number.isNaN(until)) throw new Error(`aws:sleep needs a Duration such as PT10M or a Timestamp, not ${JSON.stringify(duration ?? timestamp)}`);
    return { until };
  },
  async run(ctx) {
    const until = Number(ctx.state.until);
    return ctx.now >= until ? { status: 'Success' } : { status: 'InProgress', wakeAt: until };
  },
};

/** aws:pause: waits until SendAutomationSignal Resume. */
export const pause: Action = {
  repeatable: () => true,
  async run(ctx) {
    return ctx.state.resumed ? { status: 'Success' } : { status: 'Waiting' };
  },
  signal(ctx, signal) {
    if (signal.type !== 'Resume') throw invalidSignal(`Step ${ctx.def.name} is an aws:pause step, which takes Resume, not ${signal.type}.`);
    ctx.state.resumed = true;
  },
};
