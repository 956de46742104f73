/** AWS `rate(value unit)` grammar and its fixed-interval firing. */
import type { Fail } from './cron.js';

export type RateUnit = 'minute' | 'hour' | 'day';

export interface RateFields {
  value: number;
  unit: RateUnit;
  intervalMs: number;
}

const UNIT_MS: Record<RateUnit, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** Parses the text between `rate(` and `)`. */
export function parseRateFields(body: string, fail: Fail): RateFields {
  const parts = body.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 2) fail("expected 'rate(value unit)', e.g. rate(5 minutes) or rate(1 hour)");
  const [valueText, unitText] = parts as [string, string];
  const value = parseRateValue(valueText, fail);
  const unit = parseRateUnit(unitText, value, fail);
  const intervalMs = value * UNIT_MS[unit];
  if (!Number.isSafeInteger(intervalMs)) fail(`value ${valueText} is too large`);
  return { value, unit, intervalMs };
}

function parseRateValue(text: string, fail: Fail): number {
  if (!/^\d+$/.test(text)) fail(`value '${text}' must be a positive whole number`);
  const value = Number(text);
  if (value === 0) fail('value must be greater than 0');
  return value;
}

/** AWS insists on grammatical agreement: rate(1 minute) but rate(5 minutes). */
function parseRateUnit(text: string, value: number, fail: Fail): RateUnit {
  const singular = (text.endsWith('s') ? text.slice(0, -1) : text) as RateUnit;
  if (!Object.hasOwn(UNIT_MS, singular)) fail(`unknown unit '${text}'; expected minute(s), hour(s) or day(s)`);
  const expected = value === 1 ? singular : `${singular}s`;
  if (text !== expected) fail(`unit '${text}' does not agree with value ${value}; use '${expected}'`);
  return singular;
}

/**
 * Fires at start + k·interval (k ≥ 0), the first strictly after `after`. Without a
 * start the schedule is anchored at `after`, so the next fire is one interval away.
 */
export function nextRateFire(rate: RateFields, after: Date, start?: Date): Date {
  const anchor = (start ?? after).getTime();
  const afterMs = after.getTime();
  if (anchor > afterMs) return new Date(anchor);
  const k = Math.floor((afterMs - anchor) / rate.intervalMs) + 1;
  return new Date(anchor + k * rate.intervalMs);
}
