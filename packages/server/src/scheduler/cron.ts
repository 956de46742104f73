/**
 * AWS `cron(Minutes Hours Day-of-month Month Day-of-week Year)` grammar and a
 * wall-clock walker over the times it matches. This module knows nothing about
 * time zones: it works on local wall-clock fields, and schedule-expression.ts
 * turns those into instants.
 */

/** A wall-clock date and time with no zone attached (month 1-12). */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Reports a grammar error; the caller decides the error type and prefixes the expression. */
export type Fail = (message: string) => never;

/** Day-of-week values follow AWS: 1 = Sunday … 7 = Saturday. */
export type DayOfMonthRule =
  | { kind: 'any' } // '?'
  | { kind: 'days'; days: readonly number[] } // may include days a short month lacks
  | { kind: 'last' } // 'L'
  | { kind: 'lastWeekday' } // 'LW'
  | { kind: 'nearestWeekday'; day: number }; // 'nW'

export type DayOfWeekRule =
  | { kind: 'any' } // '?'
  | { kind: 'days'; days: readonly number[] } // 'L' alone is Saturday, i.e. days [7]
  | { kind: 'last'; weekday: number } // 'nL'
  | { kind: 'nth'; weekday: number; nth: number }; // 'n#k'

export interface CronFields {
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: DayOfMonthRule;
  months: readonly number[];
  daysOfWeek: DayOfWeekRule;
  years: readonly number[];
}

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  /** Three-letter names for min, min+1, … (months and weekdays). */
  names?: readonly string[];
  /** Quartz-style wrap-around ranges (e.g. FRI-MON); meaningless for years. */
  wraps: boolean;
  /** AWS's table lists no '/' for day-of-week. */
  steps: boolean;
}

const MINUTES: FieldSpec = { label: 'minutes', min: 0, max: 59, wraps: true, steps: true };
const HOURS: FieldSpec = { label: 'hours', min: 0, max: 23, wraps: true, steps: true };
const DAY_OF_MONTH: FieldSpec = { label: 'day-of-month', min: 1, max: 31, wraps: true, steps: true };
const MONTH: FieldSpec = {
  label: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  wraps: true,
  steps: true,
};
const DAY_OF_WEEK: FieldSpec = {
  label: 'day-of-week',
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
  wraps: true,
  steps: false,
};
const YEAR: FieldSpec = { label: 'year', min: 1970, max: 2199, wraps: false, steps: true };

export const CRON_FIELD_NAMES = 'minutes hours day-of-month month day-of-week year';

/** Parses the text between `cron(` and `)`. */
export function parseCronFields(body: string, fail: Fail): CronFields {
  const tokens = body.trim().split(/\s+/).filter((t) => t !== '');
  if (tokens.length !== 6) {
    fail(`expected 6 fields (${CRON_FIELD_NAMES}), got ${tokens.length}`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = tokens as [string, string, string, string, string, string];
  const fields: CronFields = {
    minutes: parseValueList(minutes, MINUTES, fail),
    hours: parseValueList(hours, HOURS, fail),
    daysOfMonth: parseDayOfMonth(dayOfMonth, fail),
    months: parseValueList(month, MONTH, fail),
    daysOfWeek: parseDayOfWeek(dayOfWeek, fail),
    years: parseValueList(year, YEAR, fail),
  };
  if ((fields.daysOfMonth.kind === 'any') === (fields.daysOfWeek.kind === 'any')) {
    fail("specify '?' in exactly one of day-of-month and day-of-week");
  }
  return fields;
}

function parseDayOfMonth(token: string, fail: Fail): DayOfMonthRule {
  const upper = token.toUpperCase();
  if (upper === '?') return { kind: 'any' };
  if (upper === 'L') return { kind: 'last' };
  if (upper === 'LW') return { kind: 'lastWeekday' };
  const nearest = /^(\d+)W$/.exec(upper);
  if (nearest) return { kind: 'nearestWeekday', day: parseValue(nearest[1] ?? '', DAY_OF_MONTH, fail) };
  return { kind: 'days', days: parseValueList(token, DAY_OF_MONTH, fail) };
}

function parseDayOfWeek(token: string, fail: Fail): DayOfWeekRule {
  const upper = token.toUpperCase();
  if (upper === '?') return { kind: 'any' };
  // Quartz semantics, which AWS inherits: a bare 'L' here means Saturday, the last day of the week.
  if (upper === 'L') return { kind: 'days', days: [DAY_OF_WEEK.max] };
  const last = /^([A-Z0-9]+)L$/i.exec(token);
  if (last) return { kind: 'last', weekday: parseValue(last[1] ?? '', DAY_OF_WEEK, fail) };
  const nth = /^([A-Z0-9]+)#([^,]*)$/i.exec(token); // a list containing '#' is diagnosed below
  if (nth) return parseNthWeekday(token, nth[1] ?? '', nth[2] ?? '', fail);
  return { kind: 'days', days: parseValueList(token, DAY_OF_WEEK, fail) };
}

function parseNthWeekday(token: string, weekdayText: string, nthText: string, fail: Fail): DayOfWeekRule {
  const weekday = parseValue(weekdayText, DAY_OF_WEEK, fail);
  const nth = /^\d+$/.test(nthText) ? Number(nthText) : NaN;
  if (!(nth >= 1 && nth <= 5)) {
    fail(`day-of-week '${token}': the occurrence after '#' must be 1-5, got '${nthText}'`);
  }
  return { kind: 'nth', weekday, nth };
}

/** A comma list of values, ranges and increments, as a sorted set. */
function parseValueList(token: string, spec: FieldSpec, fail: Fail): number[] {
  const values = new Set<number>();
  for (const item of token.split(',')) {
    if (item === '') fail(`${spec.label} '${token}': empty item in list`);
    for (const value of expandItem(item, spec, fail)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function expandItem(item: string, spec: FieldSpec, fail: Fail): number[] {
  const slash = item.split('/');
  if (slash.length > 2) fail(`${spec.label} '${item}': more than one '/'`);
  const [rangeText = '', stepText] = slash;
  if (stepText !== undefined && !spec.steps) fail(`${spec.label} '${item}': '/' increments are not allowed in ${spec.label}`);
  const step = stepText === undefined ? 1 : parseStep(item, stepText, spec, fail);
  const [start, end] = parseRange(item, rangeText, stepText !== undefined, spec, fail);
  return stepThrough(start, end, step, spec);
}

function parseStep(item: string, stepText: string, spec: FieldSpec, fail: Fail): number {
  const span = spec.max - spec.min + 1;
  const step = /^\d+$/.test(stepText) ? Number(stepText) : NaN;
  if (!(step >= 1 && step <= span)) {
    fail(`${spec.label} '${item}': the increment after '/' must be a whole number from 1 to ${span}, got '${stepText}'`);
  }
  return step;
}

/** Returns [start, end]; end may exceed max for a wrap-around range. */
function parseRange(item: string, rangeText: string, stepped: boolean, spec: FieldSpec, fail: Fail): [number, number] {
  if (rangeText === '*') return [spec.min, spec.max];
  const dash = rangeText.split('-');
  if (dash.length > 2) fail(`${spec.label} '${item}': more than one '-'`);
  const start = parseValue(dash[0] ?? '', spec, fail);
  if (dash.length === 1) return [start, stepped ? spec.max : start]; // '5/15' runs from 5 to the field's end
  const end = parseValue(dash[1] ?? '', spec, fail);
  if (start <= end) return [start, end];
  if (!spec.wraps) fail(`${spec.label} '${item}': range start ${start} is after its end ${end}`);
  return [start, end + spec.max - spec.min + 1];
}

function stepThrough(start: number, end: number, step: number, spec: FieldSpec): number[] {
  const span = spec.max - spec.min + 1;
  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(((v - spec.min) % span) + spec.min);
  return values;
}

/** A single number or name; anything else gets the most specific complaint we can give. */
function parseValue(text: string, spec: FieldSpec, fail: Fail): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < spec.min || value > spec.max) {
      fail(`${spec.label} value ${text} is out of range ${spec.min}-${spec.max}`);
    }
    return value;
  }
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return spec.min + index;
  return fail(explainBadValue(text, spec));
}

const SPECIAL_PLACES: ReadonlyArray<[string, readonly string[]]> = [
  ['?', [DAY_OF_MONTH.label, DAY_OF_WEEK.label]],
  ['#', [DAY_OF_WEEK.label]],
  ['L', [DAY_OF_MONTH.label, DAY_OF_WEEK.label]],
  ['W', [DAY_OF_MONTH.label]],
];

function explainBadValue(text: string, spec: FieldSpec): string {
  const upper = text.toUpperCase();
  // 'L' and 'W' are letters of names too (JUL, WED), so only blame them in number-like text.
  const special = /^\d*[LW]+$/.test(upper) || /[?#]/.test(upper);
  for (const [char, places] of SPECIAL_PLACES) {
    if (!special || !upper.includes(char)) continue;
    if (!places.includes(spec.label)) return `'${char}' is only allowed in ${places.join(' or ')}, not in ${spec.label} ('${text}')`;
    return `${spec.label} '${text}': '${char}' must stand alone in ${spec.label} (forms: ${specialForms(spec)})`;
  }
  if (text === '') return `${spec.label}: missing value`;
  const named = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
  return `${spec.label} '${text}' is not a valid value (expected ${spec.min}-${spec.max}${named})`;
}

function specialForms(spec: FieldSpec): string {
  return spec === DAY_OF_WEEK ? "'?', 'L', 'nL', 'n#k'" : "'?', 'L', 'LW', 'nW'";
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday … 7 = Saturday, as in AWS's day-of-week field. */
export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** The days of a month that the day-of-month / day-of-week pair selects, ascending. */
export function matchingDays(fields: CronFields, year: number, month: number): number[] {
  const length = daysInMonth(year, month);
  if (fields.daysOfMonth.kind !== 'any') return daysOfMonthIn(fields.daysOfMonth, year, month, length);
  return daysOfWeekIn(fields.daysOfWeek, year, month, length);
}

function daysOfMonthIn(rule: DayOfMonthRule, year: number, month: number, length: number): number[] {
  switch (rule.kind) {
    case 'any':
      return range(1, length);
    case 'days':
      return rule.days.filter((d) => d <= length);
    case 'last':
      return [length];
    case 'lastWeekday':
      return [nearestWeekday(year, month, length, length)];
    case 'nearestWeekday':
      // Quartz (and so AWS) skips months too short to have the day rather than clamping.
      return rule.day <= length ? [nearestWeekday(year, month, rule.day, length)] : [];
  }
}

/** The Monday-Friday day closest to `day`, never leaving the month. */
function nearestWeekday(year: number, month: number, day: number, length: number): number {
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? day + 2 : day - 1; // Saturday
  if (weekday === 1) return day === length ? day - 2 : day + 1; // Sunday
  return day;
}

function daysOfWeekIn(rule: DayOfWeekRule, year: number, month: number, length: number): number[] {
  const firstWeekday = weekdayOf(year, month, 1);
  const firstOf = (weekday: number): number => 1 + ((weekday - firstWeekday + 7) % 7);
  switch (rule.kind) {
    case 'any':
      return range(1, length);
    case 'days':
      return range(1, length).filter((d) => rule.days.includes(((firstWeekday - 1 + d - 1) % 7) + 1));
    case 'last': {
      const first = firstOf(rule.weekday);
      return [first + 7 * Math.floor((length - first) / 7)];
    }
    case 'nth': {
      const day = firstOf(rule.weekday) + 7 * (rule.nth - 1);
      return day <= length ? [day] : [];
    }
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * Every matching wall-clock minute at or after `from`, in order. Each level only
 * visits values its field allows, so a sparse schedule (29 February, a far year)
 * costs a few hundred steps, not millions of minutes.
 */
export function* cronWallTimes(fields: CronFields, from: LocalDateTime): Generator<LocalDateTime> {
  for (const year of atOrAfter(fields.years, from.year, true)) {
    const inFromYear = year === from.year;
    for (const month of atOrAfter(fields.months, from.month, inFromYear)) {
      const inFromMonth = inFromYear && month === from.month;
      for (const day of atOrAfter(matchingDays(fields, year, month), from.day, inFromMonth)) {
        const inFromDay = inFromMonth && day === from.day;
        for (const hour of atOrAfter(fields.hours, from.hour, inFromDay)) {
          const inFromHour = inFromDay && hour === from.hour;
          for (const minute of atOrAfter(fields.minutes, from.minute, inFromHour)) {
            yield { year, month, day, hour, minute, second: 0 };
          }
        }
      }
    }
  }
}

/** While every larger field still equals `from`'s, smaller values lie in the past. */
function atOrAfter(values: readonly number[], floor: number, bounded: boolean): readonly number[] {
  return bounded ? values.filter((v) => v >= floor) : values;
}
