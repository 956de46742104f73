import { unsupportedCalendar } from './errors.js';

/**
 * Change Calendar documents are iCalendar text. `X-CALENDAR-TYPE` says what the calendar is
 * outside events: DEFAULT_OPEN calendars close during events, DEFAULT_CLOSED ones open.
 */
export interface Calendar {
  defaultOpen: boolean;
  events: CalendarEvent[];
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

interface CalendarEvent {
  start: Wall;
  /** IANA zone of the wall times; UTC for `Z` and floating times. */
  zone: string;
  durationMs: number;
  rule?: Rule;
  exdates: Set<number>;
}

interface Rule {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  interval: number;
  count?: number;
  until?: number;
  byDay?: number[];
}

const DAY = 86_400_000;
const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** Content lines with folding undone: `NAME;PARAM=V:VALUE`, a colon inside quotes belonging to a parameter. */
function contentLines(text: string): { name: string; params: Record<string, string>; value: string }[] {
  const unfolded: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && unfolded.length) unfolded[unfolded.length - 1] += line.slice(1);
    else if (line.trim()) unfolded.push(line);
  }
  return unfolded.map((line) => {
    let quoted = false;
    let colon = -1;
    for (let i = 0; i < line.length && colon < 0; i++) {
      if (line[i] === '"') quoted = !quoted;
      else if (line[i] === ':' && !quoted) colon = i;
    }
    if (colon < 0) throw unsupportedCalendar(`The calendar line "${line.slice(0, 60)}" isn't an iCalendar content line.`);
    const [name, ...rawParams] = line.slice(0, colon).split(';');
    const params: Record<string, string> = {};
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1).replace(/^"|"$/g, '');
    }
    return { name: name!.toUpperCase(), params, value: line.slice(colon + 1) };
  });
}

function checkZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    throw unsupportedCalendar(`The time zone ${zone} of a calendar entry isn't supported; use an IANA zone name such as America/New_York.`);
  }
}

function parseWall(value: string, what: string): { wall: Wall; utc: boolean; date: boolean } {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(value.trim());
  if (!m) throw unsupportedCalendar(`The ${what} ${value} of a calendar entry isn't an iCalendar date or date-time.`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { wall: { y: n(1), mo: n(2), d: n(3), h: n(4), mi: n(5), s: n(6) }, utc: m[7] === 'Z', date: m[4] === undefined };
}

const wallMs = (w: Wall) => Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
const fromMs = (ms: number): Wall => {
  const d = new Date(ms);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Zone offset (local minus UTC) at an instant. */
function offsetAt(ms: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  const parts = f.formatToParts(ms);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The instant a wall time names in a zone: the earlier one when clocks fall back, the shifted one in a spring-forward gap. */
function instant(w: Wall, zone: string): number {
  const naive = wallMs(w);
  if (zone === 'UTC') return naive;
  const candidates = [offsetAt(naive - DAY, zone), offsetAt(naive + DAY, zone)].map((o) => naive - o).filter((ms) => offsetAt(ms, zone) === naive - ms);
  return candidates.length ? Math.min(...candidates) : naive - offsetAt(naive - DAY, zone);
}

function parseDuration(value: string): number {
  const m = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(value.trim());
  if (!m) throw unsupportedCalendar(`The duration ${value} of a calendar entry isn't an iCalendar duration.`);
  const n = (i: number) => Number(m[i] ?? 0);
  return (m[1] === '-' ? -1 : 1) * (((n(2) * 7 + n(3)) * 24 + n(4)) * 3600 + n(5) * 60 + n(6)) * 1000;
}

function parseRule(value: string): Rule {
  const parts = Object.fromEntries(value.split(';').map((p) => p.split('=') as [string, string]));
  const freq = parts.FREQ;
  if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY' && freq !== 'YEARLY') throw unsupportedCalendar(`The recurrence FREQ=${freq} isn't supported; use DAILY, WEEKLY, MONTHLY or YEARLY.`);
  const extra = Object.keys(parts).filter((k) => !['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'WKST'].includes(k) || (k === 'BYDAY' && freq !== 'WEEKLY'));
  if (extra.length) throw unsupportedCalendar(`The recurrence rule parts ${extra.join(', ')} aren't supported.`);
  const rule: Rule = { freq, interval: Math.max(1, Number(parts.INTERVAL ?? 1) || 1) };
  if (parts.COUNT !== undefined) rule.count = Number(parts.COUNT);
  if (parts.UNTIL !== undefined) {
    const u = parseWall(parts.UNTIL, 'UNTIL');
    rule.until = wallMs(u.wall) + (u.date ? DAY - 1 : 0);
  }
  if (parts.BYDAY !== undefined) {
    rule.byDay = parts.BYDAY.split(',').map((d) => {
      const i = DAYS.indexOf(d);
      if (i < 0) throw unsupportedCalendar(`The recurrence BYDAY value ${d} isn't supported.`);
      return i;
    });
  }
  return rule;
}

export function parseCalendar(text: string): Calendar {
  let defaultOpen = true;
  const events: CalendarEvent[] = [];
  let current: Record<string, { params: Record<string, string>; value: string }[]> | undefined;
  let depth = 0;
  for (const line of contentLines(text)) {
    if (line.name === 'BEGIN') {
      depth++;
      if (line.value.toUpperCase() === 'VEVENT' && depth === 2) current = {};
      continue;
    }
    if (line.name === 'END') {
      if (line.value.toUpperCase() === 'VEVENT' && depth === 2 && current) events.push(toEvent(current));
      if (depth === 2) current = undefined;
      depth--;
      continue;
    }
    if (depth === 1 && line.name === 'X-CALENDAR-TYPE') {
      const type = line.value.trim().toUpperCase();
      if (type !== 'DEFAULT_OPEN' && type !== 'DEFAULT_CLOSED') throw unsupportedCalendar(`The calendar type ${line.value} isn't supported; use DEFAULT_OPEN or DEFAULT_CLOSED.`);
      defaultOpen = type === 'DEFAULT_OPEN';
    }
    if (depth === 2 && current) (current[line.name] ??= []).push({ params: line.params, value: line.value });
  }
  return { defaultOpen, events };
}

function toEvent(props: Record<string, { params: Record<string, string>; value: string }[]>): CalendarEvent {
  const startProp = props.DTSTART?.[0];
  if (!startProp) throw unsupportedCalendar('A calendar event has no DTSTART.');
  const start = parseWall(startProp.value, 'DTSTART');
  const zone = start.utc || !startProp.params.TZID ? 'UTC' : checkZone(startProp.params.TZID);
  const startMs = instant(start.wall, zone);
  let durationMs: number;
  const endProp = props.DTEND?.[0];
  if (endProp) {
    const end = parseWall(endProp.value, 'DTEND');
    const endZone = end.utc ? 'UTC' : endProp.params.TZID ? checkZone(endProp.params.TZID) : zone;
    durationMs = instant(end.wall, endZone) - startMs;
  } else if (props.DURATION?.[0]) durationMs = parseDuration(props.DURATION[0].value);
  else durationMs = start.date ? DAY : 0;
  const exdates = new Set<number>();
  for (const ex of props.EXDATE ?? []) {
    const exZone = ex.params.TZID ? checkZone(ex.params.TZID) : zone;
    for (const v of ex.value.split(',')) {
      const w = parseWall(v, 'EXDATE');
      exdates.add(instant(w.wall, w.utc ? 'UTC' : exZone));
    }
  }
  const rrule = props.RRULE?.[0];
  return { start: start.wall, zone, durationMs: Math.max(0, durationMs), exdates, ...(rrule ? { rule: parseRule(rrule.value) } : {}) };
}

/** Occurrence start instants of an event, ascending, until one starts after `untilMs`. */
function* occurrences(e: CalendarEvent, untilMs: number): Generator<number> {
  const rule = e.rule;
  if (!rule) {
    yield instant(e.start, e.zone);
    return;
  }
  const first = wallMs(e.start);
  let emitted = 0;
  for (let step = 0; step < 200_000; step++) {
    let walls: number[];
    if (rule.freq === 'DAILY') walls = [first + step * rule.interval * DAY];
    else if (rule.freq === 'WEEKLY') {
      const weekday = new Date(first).getUTCDay();
      const monday = first - ((weekday + 6) % 7) * DAY + step * rule.interval * 7 * DAY;
      const days = rule.byDay ?? [weekday];
      walls = days.map((d) => monday + ((d + 6) % 7) * DAY).sort((a, b) => a - b).filter((w) => w >= first);
    } else {
      const months = rule.freq === 'MONTHLY' ? step * rule.interval : step * rule.interval * 12;
      const y = e.start.y + Math.floor((e.start.mo - 1 + months) / 12);
      const mo = ((e.start.mo - 1 + months) % 12) + 1;
      // A day the month doesn't have (the 31st, February 29th) is skipped, as RFC 5545 says.
      const candidate = Date.UTC(y, mo - 1, e.start.d, e.start.h, e.start.mi, e.start.s);
      walls = new Date(candidate).getUTCDate() === e.start.d ? [candidate] : [];
    }
    for (const w of walls) {
      const at = instant(fromMs(w), e.zone);
      if ((rule.until !== undefined && at > rule.until) || (rule.count !== undefined && emitted >= rule.count) || at > untilMs) return;
      emitted++;
      if (!e.exdates.has(at)) yield at;
    }
  }
}

/** The union of a calendar's event intervals that end after `fromMs` and start before `toMs`, merged and sorted. */
function busy(cal: Calendar, fromMs: number, toMs: number): [number, number][] {
  const spans: [number, number][] = [];
  for (const e of cal.events) {
    if (e.durationMs <= 0) continue;
    for (const s of occurrences(e, toMs)) if (s + e.durationMs > fromMs) spans.push([s, s + e.durationMs]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([...s]);
  }
  return merged;
}

const HORIZON = 10 * 366 * DAY;

/** Whether a sorted list of disjoint spans covers `t` (spans are [start, end)). */
function covers(spans: [number, number][], t: number): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = spans[mid]!;
    if (t < s) hi = mid - 1;
    else if (t >= e) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The combined state at `atMs` (OPEN only when every calendar is open) and the first later
 * instant at which it changes, if one comes within ten years.
 */
export function calendarState(calendars: Calendar[], atMs: number): { open: boolean; next: number | undefined } {
  const spans = calendars.map((c) => busy(c, atMs, atMs + HORIZON));
  const openAt = (t: number) => calendars.every((c, i) => c.defaultOpen !== covers(spans[i]!, t));
  const open = openAt(atMs);
  const boundaries = [...new Set(spans.flat(2).filter((b) => b > atMs))].sort((a, b) => a - b);
  return { open, next: boundaries.find((b) => openAt(b) !== open) };
}

/**
 * AtTime as ISO 8601: a date, or a date and time with an optional `Z`, `±hh:mm` or `±hhmm`
 * offset (AWS's own examples use `-0700`); no offset means UTC.
 */
export function parseIsoTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  if (n(4) > 23 || n(5) > 59 || n(6) > 59 || new Date(Date.UTC(n(1), n(2) - 1, n(3))).getUTCDate() !== n(3) || n(2) < 1 || n(2) > 12) return undefined;
  let ms = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)));
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0)) * 60_000;
  }
  return ms;
}

/** `2020-02-19T22:28:51Z`, the form GetCalendarState answers in. */
export const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
