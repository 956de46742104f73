/**
 * The upcoming-schedule calendar without React: days as a time zone has them (23, 24 or 25
 * hours), each window's starts placed on them as bars that last the window's Duration, and the
 * wording of a start in the window's zone and the viewer's. Everything takes the zone as an
 * argument, so the tests can place New York's windows as seen from Berlin across a DST change.
 */

export const HOUR = 3_600_000;

export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the browser knows the zone; the server checks it too, this only spares a round trip. */
export function isKnownZone(timeZone: string): boolean {
  try {
    partsFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Old names ICU still answers with (Chromium says Asia/Calcutta where the IANA database and the
 * zone list say Asia/Kolkata); the same zone, under the name people look for.
 */
const CURRENT_NAMES: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Europe/Kiev': 'Europe/Kyiv',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
};

export function currentZoneName(zone: string): string {
  const current = CURRENT_NAMES[zone];
  return current && isKnownZone(current) ? current : zone;
}

/** The browser's own zone, `UTC` when it will not say. */
export function browserZone(): string {
  try {
    return currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  } catch {
    return 'UTC';
  }
}

export function wallOf(ms: number, timeZone: string): Wall {
  const w: Wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of partsFormatter(timeZone).formatToParts(ms)) if (p.type in w) w[p.type as keyof Wall] = Number(p.value);
  return w;
}

const wallAsUtc = (w: Wall) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** How far the zone's clocks are ahead of UTC at an instant, in ms. */
export function offsetAt(ms: number, timeZone: string): number {
  const s = Math.floor(ms / 1000) * 1000;
  return wallAsUtc(wallOf(s, timeZone)) - s;
}

/**
 * The instant a wall time names in a zone. A wall time the clocks skip moves on by the gap, as
 * the clocks do (02:30 on New York's spring-forward night is 03:30), so a day whose midnight is
 * skipped starts when they jump; a repeated one (fall back) gives one of its two instants.
 */
export function instantOf(w: Wall, timeZone: string): number {
  const local = wallAsUtc(w);
  const o1 = offsetAt(local, timeZone);
  const t1 = local - o1;
  const o2 = offsetAt(t1, timeZone);
  if (o1 === o2) return t1;
  const t2 = local - o2;
  const o3 = offsetAt(t2, timeZone);
  if (o2 === o3) return t2;
  return Math.max(local - o2, local - o3);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-11-01`: the calendar day an instant falls on in a zone. */
export function dayKey(ms: number, timeZone: string): string {
  const w = wallOf(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** A start as AWS writes it, `2026-11-01T03:00-05:00` or `…Z`: the instant, and the offset the window's zone had then. */
export function parseExecutionTime(text: string | undefined): { ms: number; offsetMinutes: number } | undefined {
  if (!text) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))$/.exec(text.trim());
  if (!m) return undefined;
  const offsetMinutes = m[7] === 'Z' ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)) - offsetMinutes * 60_000;
  return Number.isNaN(ms) ? undefined : { ms, offsetMinutes };
}

export interface Day {
  /** `2026-11-01` in the calendar's zone. */
  key: string;
  start: number;
  end: number;
  /** 24, or 23 and 25 on the days the clocks change. */
  hours: number;
  /** Where 06:00, 12:00 and 18:00 fall on the day's track, as fractions of it. */
  ticks: { hour: number; at: number }[];
}

/** `count` calendar days in a zone, from the one `now` falls on. */
export function calendarDays(now: number, count: number, timeZone: string): Day[] {
  const today = wallOf(now, timeZone);
  const startOf = (offsetDays: number) => {
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day + offsetDays));
    return instantOf({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0, second: 0 }, timeZone);
  };
  const days: Day[] = [];
  for (let i = 0; i < count; i++) {
    const start = startOf(i);
    const end = startOf(i + 1);
    const w = wallOf(start, timeZone);
    const ticks = [6, 12, 18].map((hour) => ({ hour, at: (instantOf({ ...w, hour, minute: 0, second: 0 }, timeZone) - start) / (end - start) }));
    days.push({ key: dayKey(start, timeZone), start, end, hours: Math.round((end - start) / HOUR), ticks });
  }
  return days;
}

/** One start of a window, with what the calendar needs of the window. */
export interface WindowStart {
  windowId: string;
  name: string;
  at: number;
  /** Hours. */
  duration: number;
  /** Hours before the end in which no task starts. */
  cutoff: number;
  /** The window's ScheduleTimezone; UTC when it has none. */
  timeZone: string;
}

/** Starts of one window that overlap or touch on a day: drawn as one stretch of its track. */
export interface Bar {
  starts: WindowStart[];
  /** The stretch on this day, clipped to it. */
  from: number;
  to: number;
  /** Where it sits on the day's track, as fractions. */
  left: number;
  width: number;
  /** Where no new task may start (the cutoff) on this day's part, as a fraction of the track; for a bar of one start. */
  cutoffLeft?: number;
  /** It began on an earlier day / runs on into the next. */
  fromPrevious: boolean;
  intoNext: boolean;
}

/** One window's line on a day. */
export interface Lane {
  windowId: string;
  name: string;
  timeZone: string;
  bars: Bar[];
  /** Its starts that fall on this day (not those carried over from the day before). */
  startsToday: WindowStart[];
}

export interface DayLayout {
  day: Day;
  lanes: Lane[];
}

/**
 * Places each start on every day its window is open: a window that opens at 22:00 for 4 hours
 * shows on its day to midnight and on the next from midnight to 02:00. Each window has one lane
 * a day, in the order its first stretch comes; starts of one window that overlap (a rate()
 * shorter than the Duration) merge into one bar.
 */
export function layoutCalendar(starts: WindowStart[], days: Day[]): DayLayout[] {
  const sorted = [...starts].sort((a, b) => a.at - b.at || a.windowId.localeCompare(b.windowId));
  return days.map((day) => {
    const lanes = new Map<string, Lane>();
    const span = day.end - day.start;
    for (const s of sorted) {
      const end = s.at + s.duration * HOUR;
      if (end <= day.start || s.at >= day.end) continue;
      let lane = lanes.get(s.windowId);
      if (!lane) {
        lane = { windowId: s.windowId, name: s.name, timeZone: s.timeZone, bars: [], startsToday: [] };
        lanes.set(s.windowId, lane);
      }
      if (s.at >= day.start) lane.startsToday.push(s);
      const from = Math.max(s.at, day.start);
      const to = Math.min(end, day.end);
      const last = lane.bars[lane.bars.length - 1];
      if (last && from <= last.to) {
        last.starts.push(s);
        last.to = Math.max(last.to, to);
        last.width = (last.to - last.from) / span;
        last.intoNext = end > day.end || last.intoNext;
        delete last.cutoffLeft;
        continue;
      }
      const bar: Bar = { starts: [s], from, to, left: (from - day.start) / span, width: (to - from) / span, fromPrevious: s.at < day.start, intoNext: end > day.end };
      const cutoffAt = end - s.cutoff * HOUR;
      if (s.cutoff > 0 && cutoffAt < day.end) bar.cutoffLeft = (Math.max(cutoffAt, from) - day.start) / span;
      lane.bars.push(bar);
    }
    return { day, lanes: [...lanes.values()] };
  });
}

/** `03:00` on a 24-hour clock, in a zone. */
export function clock(ms: number, timeZone: string): string {
  const w = wallOf(ms, timeZone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

const dayLabels = new Map<string, Intl.DateTimeFormat>();
/** `Sun, Nov 1`, in the viewer's language. */
export function dayLabel(ms: number, timeZone: string, locale?: string): string {
  const k = `${timeZone}|${locale ?? ''}`;
  let f = dayLabels.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone, weekday: 'short', month: 'short', day: 'numeric' });
    dayLabels.set(k, f);
  }
  return f.format(ms);
}

/**
 * `22:00–02:00 (+1 day)`: a window's time on a 24-hour clock in a zone, the end marked when it
 * falls on a later calendar day there.
 */
export function rangeText(from: number, to: number, timeZone: string): string {
  const later = Math.round((Date.parse(dayKey(to, timeZone)) - Date.parse(dayKey(from, timeZone))) / (24 * HOUR));
  return `${clock(from, timeZone)}–${clock(to, timeZone)}${later > 0 ? ` (+${later} day${later > 1 ? 's' : ''})` : ''}`;
}

/**
 * A start as a sentence names it: in the window's zone, then in the viewer's when that differs,
 * e.g. `03:00–07:00 America/New_York · 09:00–13:00 your time`.
 */
export function startText(s: Pick<WindowStart, 'at' | 'duration' | 'timeZone'>, viewerZone: string): { window: string; viewer?: string } {
  const end = s.at + s.duration * HOUR;
  const zone = s.timeZone || 'UTC';
  const window = `${rangeText(s.at, end, zone)} ${zone}`;
  const same = offsetAt(s.at, zone) === offsetAt(s.at, viewerZone) && offsetAt(end, zone) === offsetAt(end, viewerZone);
  return same ? { window } : { window, viewer: `${rangeText(s.at, end, viewerZone)} your time` };
}

/** A Duration of hours as a day's track measures it, for a title: `4 h`, `1 h 30 min`. */
export function hoursText(ms: number): string {
  const min = Math.round(ms / 60_000);
  const h = Math.floor(min / 60);
  const m = min % 60;
  return h && m ? `${h} h ${m} min` : h ? `${h} h` : `${m} min`;
}
