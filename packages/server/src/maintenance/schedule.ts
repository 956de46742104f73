import { instantOfOneOff, nextFireTime, parseScheduleExpression, ScheduleExpressionError, wallClockAt, type ScheduleExpression } from '../scheduler/schedule-expression.js';
import type { WindowRow } from './tables.js';

export const HOUR = 3_600_000;
const DAY = 86_400_000;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The same wall time `days` calendar days later in the zone: ScheduleOffset keeps 03:00 at 03:00 across a DST change. */
function shiftDays(ms: number, days: number, timeZone: string): number {
  const w = wallClockAt(ms, timeZone);
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return instantOfOneOff({ ...w, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }, timeZone);
}

/** What the next start depends on. */
export type Timing = Pick<WindowRow, 'schedule' | 'schedule_timezone' | 'schedule_offset' | 'start_at' | 'end_at' | 'anchor_at'>;

/**
 * The window's first start strictly after `after`: the schedule read in its time zone, cron
 * starts moved ScheduleOffset days later, none before StartDate or after EndDate; rate()
 * counts from StartDate, or else from when the schedule was set.
 */
export function nextStart(w: Timing, after: number, parsed?: ScheduleExpression): number | undefined {
  const schedule = parsed ?? parseScheduleExpression(w.schedule);
  const timeZone = w.schedule_timezone || 'UTC';
  const from = Math.max(after, w.start_at !== null ? w.start_at - 1 : after);
  let next: number | undefined;
  if (schedule.kind === 'cron' && w.schedule_offset) {
    // The cron time whose shifted start falls after `from` may itself lie before it.
    let probe = from - w.schedule_offset * DAY - 2 * HOUR;
    for (let i = 0; i < 1000 && next === undefined; i++) {
      const f = nextFireTime(schedule, new Date(probe), { timeZone });
      if (!f) return undefined;
      const shifted = shiftDays(f.getTime(), w.schedule_offset, timeZone);
      if (shifted > from) next = shifted;
      else probe = f.getTime();
    }
  } else {
    next = nextFireTime(schedule, new Date(from), { timeZone, ...(schedule.kind === 'rate' ? { start: new Date(w.start_at ?? w.anchor_at) } : {}) })?.getTime();
  }
  if (next === undefined || (w.end_at !== null && next > w.end_at)) return undefined;
  return next;
}

/** Starts in (after, until], oldest first, at most `max`. */
export function startsBetween(w: Timing, after: number, until: number, max: number): number[] {
  const out: number[] = [];
  const parsed = parseScheduleExpression(w.schedule);
  let t = after;
  while (out.length < max) {
    const s = nextStart(w, t, parsed);
    if (s === undefined || s > until) break;
    out.push(s);
    t = s;
  }
  return out;
}

/** `2026-11-01T01:00-04:00`, or `…Z` where the zone is at UTC: how AWS writes ExecutionTime and NextExecutionTime. */
export function formatInZone(ms: number, timeZone: string): string {
  const w = wallClockAt(ms, timeZone || 'UTC');
  const offsetMin = Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000) / 60_000);
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}${zone}`;
}

/**
 * StartDate / EndDate: ISO-8601 with a zone (`2026-11-01T03:00:00Z`, `…-05:00`) is that instant;
 * without one it is a wall time in the window's ScheduleTimezone, as the console offers it.
 */
export function parseWindowDate(text: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return undefined;
  if (m[8]) {
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? ''}${m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8]}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  try {
    return instantOfOneOff({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4] ?? 0), minute: Number(m[5] ?? 0), second: Number(m[6] ?? 0) }, timeZone || 'UTC');
  } catch (err) {
    if (err instanceof ScheduleExpressionError) return undefined;
    throw err;
  }
}
