export interface HandOff {
  HourOfDay: number;
  MinuteOfHour: number;
}

/** Local times of day a rotation covers, by day of the week (`MON` …); days not named are not covered. */
export type Coverage = Record<string, { Start?: HandOff | undefined; End?: HandOff | undefined }[]>;

/** How a rotation hands over and which hours it covers, as AWS's RecurrenceSettings say it. */
export interface Recurrence {
  DailySettings?: { HourOfDay: number; MinuteOfHour: number }[] | undefined;
  WeeklySettings?: { DayOfWeek: string; HandOffTime: { HourOfDay: number; MinuteOfHour: number } }[] | undefined;
  MonthlySettings?: { DayOfMonth: number; HandOffTime: { HourOfDay: number; MinuteOfHour: number } }[] | undefined;
  NumberOfOnCalls: number;
  RecurrenceMultiplier: number;
  ShiftCoverages?: Coverage | undefined;
}

export interface RotationPlan {
  members: string[];
  start: number;
  timeZone: string;
  recurrence: Recurrence;
}

export interface Override {
  members: string[];
  start: number;
  end: number;
}

export interface Shift {
  contacts: string[];
  start: number;
  end: number;
  overridden?: string[];
}

const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const formatters = new Map<string, Intl.DateTimeFormat>();

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock date and time at instant `ms` in `tz`. */
function local(ms: number, tz: string): { y: number; m: number; d: number; hh: number; mm: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), hh: Number(p.hour), mm: Number(p.minute) };
}

/** The instant a wall-clock time in `tz` names (the earlier one when a clock change repeats it). */
export function zoned(y: number, m: number, d: number, hh: number, mm: number, tz: string): number {
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const l = local(guess, tz);
    const diff = wall - Date.UTC(l.y, l.m - 1, l.d, l.hh, l.mm);
    if (diff === 0) break;
    guess += diff;
  }
  return guess;
}

/**
 * The hand-off instants after the rotation starts and up to `until`. The multiplier counts days,
 * weeks (of seven days from the start date) or calendar months from the rotation's start.
 */
export function handOffs(r: RotationPlan, until: number): number[] {
  const s = local(r.start, r.timeZone);
  const out: number[] = [];
  const { DailySettings = [], WeeklySettings = [], MonthlySettings = [], RecurrenceMultiplier: every } = r.recurrence;
  for (let day = 0; ; day++) {
    const date = new Date(Date.UTC(s.y, s.m - 1, s.d + day));
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (zoned(y, m, d, 0, 0, r.timeZone) > until) break;
    const at = (t: { HourOfDay: number; MinuteOfHour: number }) => zoned(y, m, d, t.HourOfDay, t.MinuteOfHour, r.timeZone);
    if (day % every === 0) for (const t of DailySettings) out.push(at(t));
    if (Math.floor(day / 7) % every === 0) for (const w of WeeklySettings) if (DAYS[date.getUTCDay()] === w.DayOfWeek) out.push(at(w.HandOffTime));
    if (((y - s.y) * 12 + (m - s.m)) % every === 0) for (const x of MonthlySettings) if (x.DayOfMonth === d) out.push(at(x.HandOffTime));
  }
  return [...new Set(out)].filter((t) => t > r.start && t <= until).sort((a, b) => a - b);
}

/** Who is on call in shift `k`: the next NumberOfOnCalls members in order, wrapping around. */
const crew = (r: RotationPlan, k: number) => Array.from({ length: Math.min(r.recurrence.NumberOfOnCalls, r.members.length) }, (_, j) => r.members[(k * r.recurrence.NumberOfOnCalls + j) % r.members.length]!);

export const DAY_NAMES = DAYS;

/** Whether a rotation covers only part of the week (an empty map covers all of it). */
const partial = (c: Coverage | undefined): c is Coverage => c !== undefined && Object.keys(c).length > 0;

/**
 * The covered windows between `from` and `to`, merged where they touch. A window ending at 00:00
 * runs to the end of its day, so MON 00:00–00:00 and TUE 00:00–09:00 make one window.
 */
export function coveredWindows(coverage: Coverage, timeZone: string, from: number, to: number): [number, number][] {
  const s = local(from - 86_400_000, timeZone);
  const windows: [number, number][] = [];
  for (let day = 0; ; day++) {
    const date = new Date(Date.UTC(s.y, s.m - 1, s.d + day));
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (zoned(y, m, d, 0, 0, timeZone) >= to) break;
    for (const w of coverage[DAYS[date.getUTCDay()]!] ?? []) {
      const a = zoned(y, m, d, w.Start!.HourOfDay, w.Start!.MinuteOfHour, timeZone);
      const midnight = w.End!.HourOfDay === 0 && w.End!.MinuteOfHour === 0;
      const b = midnight ? zoned(y, m, d + 1, 0, 0, timeZone) : zoned(y, m, d, w.End!.HourOfDay, w.End!.MinuteOfHour, timeZone);
      const [lo, hi] = [Math.max(a, from), Math.min(b, to)];
      if (lo < hi) windows.push([lo, hi]);
    }
  }
  windows.sort((p, q) => p[0] - q[0]);
  const merged: [number, number][] = [];
  for (const w of windows) {
    const last = merged[merged.length - 1];
    if (last && w[0] <= last[1]) last[1] = Math.max(last[1], w[1]);
    else merged.push([...w]);
  }
  return merged;
}

/** The shifts between `from` and `to`, with overrides (the latest wins) cut in, and only within the covered hours. */
export function shifts(r: RotationPlan, overrides: readonly Override[], from: number, to: number): Shift[] {
  const all = allShifts(r, overrides, from, to);
  const coverage = r.recurrence.ShiftCoverages;
  if (!partial(coverage) || all.length === 0) return all;
  const out: Shift[] = [];
  for (const [a, b] of coveredWindows(coverage, r.timeZone, all[0]!.start, all[all.length - 1]!.end)) {
    for (const sh of all) {
      const [lo, hi] = [Math.max(a, sh.start), Math.min(b, sh.end)];
      if (lo < hi) out.push({ ...sh, start: lo, end: hi });
    }
  }
  return out;
}

function allShifts(r: RotationPlan, overrides: readonly Override[], from: number, to: number): Shift[] {
  const begin = Math.max(from, r.start);
  if (begin >= to || r.members.length === 0) return [];
  const hand = handOffs(r, to);
  const bounds = [r.start, ...hand];
  const cuts = new Set<number>([begin, to, ...hand.filter((t) => t > begin && t < to)]);
  for (const o of overrides) for (const t of [o.start, o.end]) if (t > begin && t < to) cuts.add(t);
  const points = [...cuts].sort((a, b) => a - b);
  const out: Shift[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i]!, points[i + 1]!];
    let k = 0;
    while (k + 1 < bounds.length && bounds[k + 1]! <= a) k++;
    const regular = crew(r, k);
    const over = [...overrides].reverse().find((o) => o.start <= a && o.end >= b);
    const next: Shift = over ? { contacts: over.members, start: a, end: b, overridden: regular } : { contacts: regular, start: a, end: b };
    const last = out[out.length - 1];
    if (last && last.end === a && JSON.stringify([last.contacts, last.overridden]) === JSON.stringify([next.contacts, next.overridden]) && !hand.includes(a)) last.end = b;
    else out.push(next);
  }
  return out;
}

/** Who is on call at `at`. */
export function onCall(r: RotationPlan, overrides: readonly Override[], at: number): string[] {
  return shifts(r, overrides, at, at + 1)[0]?.contacts ?? [];
}
