/**
 * AWS schedule expressions — `cron(...)`, `rate(...)` and `at(...)` — as accepted by
 * EventBridge and Systems Manager, and the next time one fires in an IANA time zone.
 *
 * DST policy (EventBridge Scheduler's): a wall time skipped by spring-forward does
 * not fire that day; a wall time repeated by fall-back fires once, at its first
 * occurrence. A one-off at() in a skipped hour is the exception: it fires at the
 * shifted instant (02:30 becomes 03:30), because silently never running a one-off
 * maintenance window is worse than running it an hour late.
 */
import { cronWallTimes, daysInMonth, parseCronFields, type CronFields, type Fail, type LocalDateTime } from './cron.js';
import { nextRateFire, parseRateFields, type RateFields } from './rate.js';

export type { CronFields, DayOfMonthRule, DayOfWeekRule, LocalDateTime } from './cron.js';
export type { RateFields, RateUnit } from './rate.js';

export type ScheduleExpression =
  | ({ kind: 'cron'; expression: string } & CronFields)
  | ({ kind: 'rate'; expression: string } & RateFields)
  | { kind: 'at'; expression: string; at: LocalDateTime };

export class ScheduleExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleExpressionError';
  }
}

export function parseScheduleExpression(text: string): ScheduleExpression {
  const expression = text.trim();
  if (expression === '') throw new ScheduleExpressionError('schedule expression is empty');
  const fail: Fail = (message) => {
    throw new ScheduleExpressionError(`${expression}: ${message}`);
  };
  const open = /^(cron|rate|at)\(/.exec(expression);
  if (!open) fail('a schedule expression must be cron(...), rate(...) or at(...)');
  if (!expression.endsWith(')')) fail("missing closing ')'");
  const kind = open[1] as 'cron' | 'rate' | 'at';
  const body = expression.slice(open[0].length, -1);
  switch (kind) {
    case 'cron':
      return { kind, expression, ...parseCronFields(body, fail) };
    case 'rate':
      return { kind, expression, ...parseRateFields(body, fail) };
    case 'at':
      return { kind, expression, at: parseAt(body, fail) };
  }
}

/** `yyyy-mm-ddThh:mm:ss`, a wall-clock time in whatever zone the schedule runs in. */
function parseAt(body: string, fail: Fail): LocalDateTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  if (!m) fail(`expected at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T23:00:00)`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (year < 1970) fail(`year ${year} is before 1970`);
  if (month < 1 || month > 12) fail(`month ${m[2]} is out of range 01-12`);
  if (day < 1 || day > daysInMonth(year, month)) fail(`day ${m[3]} does not exist in ${m[1]}-${m[2]}`);
  if (hour > 23) fail(`hour ${m[4]} is out of range 00-23`);
  if (minute > 59) fail(`minute ${m[5]} is out of range 00-59`);
  if (second > 59) fail(`second ${m[6]} is out of range 00-59`);
  return { year, month, day, hour, minute, second };
}

/**
 * The first fire time strictly after `after`, evaluated in IANA time zone `timeZone`
 * (default 'UTC'); undefined when it never fires again (at() in the past, or a cron
 * whose year field has run out). For rate(), fires at start + k*interval, strictly
 * after `after`.
 */
export function nextFireTime(
  schedule: ScheduleExpression,
  after: Date,
  options: { timeZone?: string; start?: Date } = {},
): Date | undefined {
  const timeZone = options.timeZone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw new ScheduleExpressionError(`unknown time zone '${timeZone}'`);
  if (Number.isNaN(after.getTime())) throw new RangeError('nextFireTime: `after` is an invalid Date');
  switch (schedule.kind) {
    case 'rate':
      return nextRateFire(schedule, after, options.start);
    case 'at': {
      const at = instantOfOneOff(schedule.at, timeZone);
      return at > after.getTime() ? new Date(at) : undefined;
    }
    case 'cron':
      return nextCronFire(schedule, after.getTime(), timeZone);
  }
}

function nextCronFire(fields: CronFields, afterMs: number, timeZone: string): Date | undefined {
  // Wall minutes before local(after)'s next minute are all in the past, even on a fall-back day,
  // because only first occurrences count.
  const from = nextWholeMinute(wallClockAt(afterMs, timeZone));
  for (const wall of cronWallTimes(fields, from)) {
    const instant = instantsOf(wall, timeZone)[0]; // none when spring-forward skipped it
    if (instant !== undefined && instant > afterMs) return new Date(instant);
  }
  return undefined;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
}

// Building a DateTimeFormat costs far more than using one, and zones are few.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The wall-clock time an instant shows in a zone. */
export function wallClockAt(instantMs: number, timeZone: string): LocalDateTime {
  const wall: LocalDateTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timeZone).formatToParts(instantMs)) {
    if (part.type in wall) wall[part.type as keyof LocalDateTime] = Number(part.value);
  }
  return wall;
}

/** The wall time's fields read as if they were UTC — a zone-free number to do arithmetic on. */
function wallAsUtcMs(wall: LocalDateTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

function wallFromUtcMs(ms: number): LocalDateTime {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function nextWholeMinute(wall: LocalDateTime): LocalDateTime {
  const ms = wallAsUtcMs(wall);
  return wallFromUtcMs(ms - (ms % MINUTE_MS) + MINUTE_MS);
}

/** Zone offset (local minus UTC) in force at an instant. */
function offsetAt(instantMs: number, timeZone: string): number {
  const wholeSecond = instantMs - (((instantMs % 1000) + 1000) % 1000);
  return wallAsUtcMs(wallClockAt(wholeSecond, timeZone)) - wholeSecond;
}

/**
 * Every instant showing this wall time, ascending: one normally, none in a
 * spring-forward gap, two in a fall-back overlap. Offsets a day either side bracket
 * any single transition, and each candidate is checked against the zone.
 */
function instantsOf(wall: LocalDateTime, timeZone: string): number[] {
  const naive = wallAsUtcMs(wall);
  const offsets = new Set([offsetAt(naive - DAY_MS, timeZone), offsetAt(naive + DAY_MS, timeZone)]);
  return [...offsets]
    .map((offset) => naive - offset)
    .filter((instant) => offsetAt(instant, timeZone) === naive - instant)
    .sort((a, b) => a - b);
}

/**
 * The instant a wall time names in a zone: its first occurrence in a fall-back overlap; in a
 * spring-forward gap (a one-off there) the shifted instant, using the offset before the jump.
 */
export function instantOfOneOff(wall: LocalDateTime, timeZone: string): number {
  const naive = wallAsUtcMs(wall);
  return instantsOf(wall, timeZone)[0] ?? naive - offsetAt(naive - DAY_MS, timeZone);
}
