import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isValidTimeZone,
  nextFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
  type ScheduleExpression,
} from './schedule-expression.js';

const iso = (text: string): string => new Date(text).toISOString();

/** The next `count` fire times after `after`, each found from the previous one; stops at 'never'. */
function fires(expression: string, after: string, count: number, timeZone?: string): string[] {
  const schedule = parseScheduleExpression(expression);
  const out: string[] = [];
  let cursor = new Date(after);
  while (out.length < count) {
    const next = nextFireTime(schedule, cursor, { timeZone });
    if (!next) return [...out, 'never'];
    out.push(next.toISOString());
    cursor = next;
  }
  return out;
}

function assertFires(expression: string, after: string, expected: string[], timeZone?: string): void {
  const normalised = expected.map((e) => (e === 'never' ? e : iso(e)));
  assert.deepEqual(fires(expression, after, expected.length, timeZone), normalised);
}

function assertRejects(text: string, ...fragments: string[]): void {
  assert.throws(
    () => parseScheduleExpression(text),
    (error: unknown) => {
      assert.ok(error instanceof ScheduleExpressionError, `expected ScheduleExpressionError, got ${String(error)}`);
      for (const fragment of fragments) {
        assert.ok(error.message.includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
      }
      return true;
    },
  );
}

function asCron(schedule: ScheduleExpression): Extract<ScheduleExpression, { kind: 'cron' }> {
  assert.equal(schedule.kind, 'cron');
  return schedule as Extract<ScheduleExpression, { kind: 'cron' }>;
}

describe("AWS's documented cron examples (UTC)", () => {
  const table: Array<[string, string, string[]]> = [
    ['cron(0 10 * * ? *)', '2024-05-15T09:59:59Z', ['2024-05-15T10:00:00Z', '2024-05-16T10:00:00Z']],
    // Exactly on a fire time: the answer is strictly later.
    ['cron(15 12 * * ? *)', '2024-05-15T12:15:00Z', ['2024-05-16T12:15:00Z', '2024-05-17T12:15:00Z']],
    ['cron(0 18 ? * MON-FRI *)', '2024-05-17T18:00:00Z', ['2024-05-20T18:00:00Z', '2024-05-21T18:00:00Z']],
    ['cron(0 8 1 * ? *)', '2024-01-31T12:00:00Z', ['2024-02-01T08:00:00Z', '2024-03-01T08:00:00Z']],
    [
      'cron(0/15 * * * ? *)',
      '2024-05-15T10:07:30Z',
      ['2024-05-15T10:15:00Z', '2024-05-15T10:30:00Z', '2024-05-15T10:45:00Z', '2024-05-15T11:00:00Z'],
    ],
    ['cron(0/10 * ? * MON-FRI *)', '2024-05-17T23:55:00Z', ['2024-05-20T00:00:00Z', '2024-05-20T00:10:00Z']],
    [
      'cron(0/5 8-17 ? * MON-FRI *)',
      '2024-05-17T17:50:00Z',
      ['2024-05-17T17:55:00Z', '2024-05-20T08:00:00Z', '2024-05-20T08:05:00Z'],
    ],
    ['cron(0 9 ? * 2#1 *)', '2024-01-02T00:00:00Z', ['2024-02-05T09:00:00Z', '2024-03-04T09:00:00Z', '2024-04-01T09:00:00Z']],
    ['cron(0 0 L * ? *)', '2024-01-31T00:00:00Z', ['2024-02-29T00:00:00Z', '2024-03-31T00:00:00Z', '2024-04-30T00:00:00Z']],
    ['cron(0 0 ? * 6L *)', '2024-01-01T00:00:00Z', ['2024-01-26T00:00:00Z', '2024-02-23T00:00:00Z', '2024-03-29T00:00:00Z']],
    [
      'cron(0 0 15W * ? *)',
      '2024-06-01T00:00:00Z',
      ['2024-06-14T00:00:00Z', '2024-07-15T00:00:00Z', '2024-08-15T00:00:00Z', '2024-09-16T00:00:00Z'],
    ],
    [
      'cron(30 23 LW * ? *)',
      '2024-03-01T00:00:00Z',
      ['2024-03-29T23:30:00Z', '2024-04-30T23:30:00Z', '2024-05-31T23:30:00Z', '2024-06-28T23:30:00Z'],
    ],
    ['cron(0 12 ? * SUN#3 *)', '2024-01-01T00:00:00Z', ['2024-01-21T12:00:00Z', '2024-02-18T12:00:00Z', '2024-03-17T12:00:00Z']],
    [
      'cron(0 0 1 1 ? 2030-2032)',
      '2024-03-01T00:00:00Z',
      ['2030-01-01T00:00:00Z', '2031-01-01T00:00:00Z', '2032-01-01T00:00:00Z', 'never'],
    ],
    ['cron(0 0 1 1 ? 2030/5)', '2030-06-01T00:00:00Z', ['2035-01-01T00:00:00Z', '2040-01-01T00:00:00Z']],
    ['cron(0 0 1 1 ? 2025,2027)', '2025-01-01T00:00:00Z', ['2027-01-01T00:00:00Z', 'never']],
  ];
  for (const [expression, after, expected] of table) {
    it(`${expression} after ${after}`, () => assertFires(expression, after, expected));
  }
});

describe('time zones', () => {
  it('evaluates fields as wall-clock time in the zone, following the offset change', () => {
    // New York: EST (-5) until 2024-03-10 02:00, EDT (-4) after.
    assertFires(
      'cron(0 10 * * ? *)',
      '2024-03-08T16:00:00Z',
      ['2024-03-09T15:00:00Z', '2024-03-10T14:00:00Z', '2024-03-11T14:00:00Z'],
      'America/New_York',
    );
  });

  it('does not fire a wall time skipped by spring-forward', () => {
    assertFires('cron(30 2 * * ? *)', '2024-03-09T00:00:00Z', ['2024-03-09T07:30:00Z', '2024-03-11T06:30:00Z'], 'America/New_York');
  });

  it('runs every minute continuously through the spring-forward gap', () => {
    // 01:58, 01:59 EST, then 03:00 EDT: no instant is lost or repeated.
    assertFires(
      'cron(* * * * ? *)',
      '2024-03-10T06:57:00Z',
      ['2024-03-10T06:58:00Z', '2024-03-10T06:59:00Z', '2024-03-10T07:00:00Z', '2024-03-10T07:01:00Z'],
      'America/New_York',
    );
  });

  it('fires a fall-back repeated wall time once, at its first occurrence', () => {
    // 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    assertFires('cron(30 1 * * ? *)', '2024-11-02T12:00:00Z', ['2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z'], 'America/New_York');
  });

  it('skips the second pass of the repeated hour when iterating', () => {
    assertFires(
      'cron(0/20 1 * * ? *)',
      '2024-11-03T05:10:00Z',
      ['2024-11-03T05:20:00Z', '2024-11-03T05:40:00Z', '2024-11-04T06:00:00Z'],
      'America/New_York',
    );
  });

  it('does not re-fire first occurrences when `after` lies in the second pass', () => {
    // 06:10Z is 01:10 EST; 01:20 and 01:40 already fired during the EDT pass.
    assertFires('cron(0/20 1 * * ? *)', '2024-11-03T06:10:00Z', ['2024-11-04T06:00:00Z'], 'America/New_York');
    assertFires('cron(0 2 * * ? *)', '2024-11-03T06:10:00Z', ['2024-11-03T07:00:00Z'], 'America/New_York');
  });

  it('handles Europe/Berlin spring-forward (02:00 CET -> 03:00 CEST on 2024-03-31)', () => {
    assertFires(
      'cron(0/30 2 * * ? *)',
      '2024-03-30T00:00:00Z',
      ['2024-03-30T01:00:00Z', '2024-03-30T01:30:00Z', '2024-04-01T00:00:00Z', '2024-04-01T00:30:00Z'],
      'Europe/Berlin',
    );
    assertFires('cron(0 9 ? * MON-FRI *)', '2024-03-28T12:00:00Z', ['2024-03-29T08:00:00Z', '2024-04-01T07:00:00Z'], 'Europe/Berlin');
  });

  it('handles Europe/Berlin fall-back (03:00 CEST -> 02:00 CET on 2024-10-27)', () => {
    assertFires('cron(30 2 * * ? *)', '2024-10-26T12:00:00Z', ['2024-10-27T00:30:00Z', '2024-10-28T01:30:00Z'], 'Europe/Berlin');
  });

  it('handles half-hour offsets', () => {
    assertFires('cron(0 0 * * ? *)', '2024-01-01T00:00:00Z', ['2024-01-01T18:30:00Z', '2024-01-02T18:30:00Z'], 'Asia/Kolkata');
  });

  it('applies day-of-month and day-of-week to the local calendar date', () => {
    assertFires('cron(0 0 1 * ? *)', '2024-01-15T00:00:00Z', ['2024-02-01T08:00:00Z'], 'America/Los_Angeles');
    // Last Friday of January 2024 is the 26th; midnight in Tokyo is still Thursday in UTC.
    assertFires('cron(0 0 ? * 6L *)', '2024-01-01T00:00:00Z', ['2024-01-25T15:00:00Z'], 'Asia/Tokyo');
  });

  it('defaults to UTC', () => {
    const schedule = parseScheduleExpression('cron(0 10 * * ? *)');
    assert.equal(nextFireTime(schedule, new Date('2024-05-15T00:00:00Z'))?.toISOString(), iso('2024-05-15T10:00:00Z'));
  });

  it('rejects an unknown zone with a ScheduleExpressionError naming it', () => {
    const schedule = parseScheduleExpression('cron(0 10 * * ? *)');
    assert.throws(() => nextFireTime(schedule, new Date(), { timeZone: 'Mars/Olympus_Mons' }), {
      name: 'ScheduleExpressionError',
      message: "unknown time zone 'Mars/Olympus_Mons'",
    });
    assert.throws(() => nextFireTime(parseScheduleExpression('rate(5 minutes)'), new Date(), { timeZone: '' }), ScheduleExpressionError);
  });

  it('isValidTimeZone accepts IANA names and rejects others', () => {
    for (const tz of ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Etc/GMT+5']) assert.equal(isValidTimeZone(tz), true, tz);
    for (const tz of ['', 'Mars/Olympus_Mons', 'America/Nowhere', 'GMT+25']) assert.equal(isValidTimeZone(tz), false, tz);
  });

  it('rejects an invalid `after`', () => {
    assert.throws(() => nextFireTime(parseScheduleExpression('cron(0 10 * * ? *)'), new Date('nonsense')), RangeError);
  });
});

describe('parsing', () => {
  it('expands lists, ranges and increments', () => {
    assert.deepEqual(asCron(parseScheduleExpression('cron(0/15 * * * ? *)')).minutes, [0, 15, 30, 45]);
    assert.deepEqual(asCron(parseScheduleExpression('cron(5-50/5 * * * ? *)')).minutes, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    assert.deepEqual(asCron(parseScheduleExpression('cron(1/10 */5 * * ? *)')).minutes, [1, 11, 21, 31, 41, 51]);
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 */5 * * ? *)')).hours, [0, 5, 10, 15, 20]);
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 3,1,2-4 * * ? *)')).hours, [1, 2, 3, 4]);
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 0 1 1 ? 2030-2032)')).years, [2030, 2031, 2032]);
  });

  it('reads names case-insensitively', () => {
    const cron = asCron(parseScheduleExpression('cron(0 18 ? jan-Mar mon-FRI *)'));
    assert.deepEqual(cron.months, [1, 2, 3]);
    assert.deepEqual(cron.daysOfWeek, { kind: 'days', days: [2, 3, 4, 5, 6] });
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 0 lw * ? *)')).daysOfMonth, { kind: 'lastWeekday' });
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 0 ? * sun#3 *)')).daysOfWeek, { kind: 'nth', weekday: 1, nth: 3 });
  });

  it('accepts any run of whitespace between fields and trims the expression', () => {
    const cron = asCron(parseScheduleExpression('  cron( 0   10\t* *  ? * )  '));
    assert.equal(cron.expression, 'cron( 0   10\t* *  ? * )');
    assert.deepEqual([cron.minutes, cron.hours], [[0], [10]]);
  });

  it('supports wrap-around ranges in cyclic fields', () => {
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 22-2 * * ? *)')).hours, [0, 1, 2, 22, 23]);
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 0 ? * FRI-MON *)')).daysOfWeek, { kind: 'days', days: [1, 2, 6, 7] });
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 0 1 NOV-FEB/2 ? *)')).months, [1, 11]);
  });

  it('parses the special day forms', () => {
    const dom = (field: string) => asCron(parseScheduleExpression(`cron(0 0 ${field} * ? *)`)).daysOfMonth;
    const dow = (field: string) => asCron(parseScheduleExpression(`cron(0 0 ? * ${field} *)`)).daysOfWeek;
    assert.deepEqual(dom('L'), { kind: 'last' });
    assert.deepEqual(dom('3W'), { kind: 'nearestWeekday', day: 3 });
    assert.deepEqual(dom('*'), { kind: 'days', days: Array.from({ length: 31 }, (_, i) => i + 1) });
    assert.deepEqual(dow('L'), { kind: 'days', days: [7] });
    assert.deepEqual(dow('6L'), { kind: 'last', weekday: 6 });
    assert.deepEqual(dow('3#2'), { kind: 'nth', weekday: 3, nth: 2 });
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 0 ? * MON *)')).daysOfMonth, { kind: 'any' });
    assert.deepEqual(asCron(parseScheduleExpression('cron(0 0 1 * ? *)')).daysOfWeek, { kind: 'any' });
  });

  it('parses rate expressions', () => {
    const cases: Array<[string, number, string, number]> = [
      ['rate(1 minute)', 1, 'minute', 60_000],
      ['rate(5 minutes)', 5, 'minute', 300_000],
      ['rate(1 hour)', 1, 'hour', 3_600_000],
      ['rate(12 hours)', 12, 'hour', 43_200_000],
      ['rate(1 day)', 1, 'day', 86_400_000],
      ['rate(7  days)', 7, 'day', 604_800_000],
    ];
    for (const [text, value, unit, intervalMs] of cases) {
      assert.deepEqual(parseScheduleExpression(text), { kind: 'rate', expression: text, value, unit, intervalMs });
    }
  });

  it('parses at expressions as wall-clock fields', () => {
    assert.deepEqual(parseScheduleExpression('at(2024-02-29T23:59:58)'), {
      kind: 'at',
      expression: 'at(2024-02-29T23:59:58)',
      at: { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58 },
    });
  });
});

describe('invalid expressions', () => {
  it('names the problem with the expression as a whole', () => {
    assertRejects('', 'empty');
    assertRejects('   ', 'empty');
    assertRejects('0 10 * * ? *', '0 10 * * ? *: a schedule expression must be cron(...), rate(...) or at(...)');
    assertRejects('CRON(0 10 * * ? *)', 'must be cron(...)');
    assertRejects('every(5 minutes)', 'must be cron(...)');
    assertRejects('cron(0 10 * * ? *', "missing closing ')'");
    assertRejects('cron 0 10 * * ? *)', 'must be cron(...)');
  });

  it('rejects the wrong number of cron fields', () => {
    assertRejects('cron(0 10 * * ?)', 'expected 6 fields', 'got 5');
    assertRejects('cron(0 10 * * ? * *)', 'expected 6 fields', 'got 7');
    assertRejects('cron()', 'got 0');
  });

  it('rejects out-of-range values, naming the field and the limits', () => {
    assertRejects('cron(60 * * * ? *)', 'minutes value 60 is out of range 0-59');
    assertRejects('cron(0 24 * * ? *)', 'hours value 24 is out of range 0-23');
    assertRejects('cron(0 0 32 * ? *)', 'day-of-month value 32 is out of range 1-31');
    assertRejects('cron(0 0 0 * ? *)', 'day-of-month value 0');
    assertRejects('cron(0 0 1 13 ? *)', 'month value 13 is out of range 1-12');
    assertRejects('cron(0 0 ? * 8 *)', 'day-of-week value 8 is out of range 1-7');
    assertRejects('cron(0 0 ? * 0 *)', 'day-of-week value 0');
    assertRejects('cron(0 0 1 * ? 1969)', 'year value 1969 is out of range 1970-2199');
    assertRejects('cron(0 0 1 * ? 2200)', 'year value 2200');
    assertRejects('cron(0 0-24 * * ? *)', 'hours value 24');
    assertRejects('cron(0 0 32W * ? *)', 'day-of-month value 32');
    assertRejects('cron(0 0 ? * 8L *)', 'day-of-week value 8');
    assertRejects('cron(0 0 ? * 8#1 *)', 'day-of-week value 8');
  });

  it("insists on '?' in exactly one of day-of-month and day-of-week", () => {
    assert.throws(() => parseScheduleExpression('cron(0 12 * * * *)'), {
      name: 'ScheduleExpressionError',
      message: "cron(0 12 * * * *): specify '?' in exactly one of day-of-month and day-of-week",
    });
    assertRejects('cron(0 12 ? * ? *)', "'?' in exactly one");
    assertRejects('cron(0 12 1 * MON *)', "'?' in exactly one");
    assertRejects('cron(0 12 L * 6L *)', "'?' in exactly one");
  });

  it("rejects '?' outside the day fields, or inside a list", () => {
    assertRejects('cron(? 0 1 * ? *)', "'?' is only allowed in day-of-month or day-of-week, not in minutes");
    assertRejects('cron(0 ? 1 * ? *)', 'not in hours');
    assertRejects('cron(0 0 1 ? ? *)', 'not in month');
    assertRejects('cron(0 0 1 * ? ?)', 'not in year');
    assertRejects('cron(0 0 1,? * ? *)', "day-of-month '?': '?' must stand alone");
  });

  it("rejects 'L', 'W' and '#' in the wrong field or form", () => {
    assertRejects('cron(L 0 1 * ? *)', "'L' is only allowed in day-of-month or day-of-week, not in minutes");
    assertRejects('cron(0 0 1 * ? L)', "'L' is only allowed", 'not in year');
    assertRejects('cron(0 0 ? * 3W *)', "'W' is only allowed in day-of-month, not in day-of-week ('3W')");
    assertRejects('cron(0 5W 1 * ? *)', "'W' is only allowed in day-of-month, not in hours");
    assertRejects('cron(0 0 3#2 * ? *)', "'#' is only allowed in day-of-week, not in day-of-month");
    assertRejects('cron(0 0 1-5W * ? *)', "'5W'", "'W' must stand alone");
    assertRejects('cron(0 0 L-3 * ? *)', "'L' must stand alone");
    assertRejects('cron(0 0 1,L * ? *)', "'L' must stand alone");
    assertRejects('cron(0 0 ? * 2-6L *)', "'6L'", "'L' must stand alone");
  });

  it("rejects '#' occurrences outside 1-5 and '#' in a list", () => {
    assertRejects('cron(0 0 ? * 3#6 *)', "day-of-week '3#6'", "after '#' must be 1-5", "got '6'");
    assertRejects('cron(0 0 ? * 3#0 *)', "got '0'");
    assertRejects('cron(0 0 ? * 3#x *)', "got 'x'");
    assertRejects('cron(0 0 ? * 3#1,6#3 *)', "'3#1'", "'#' must stand alone");
  });

  it('rejects bad increments', () => {
    assertRejects('cron(*/0 * * * ? *)', "minutes '*/0'", "increment after '/'", "got '0'");
    assertRejects('cron(0 */25 * * ? *)', "hours '*/25'", 'from 1 to 24');
    assertRejects('cron(*/x * * * ? *)', "got 'x'");
    assertRejects('cron(*/ * * * ? *)', "got ''");
    assertRejects('cron(1/2/3 * * * ? *)', "more than one '/'");
    assertRejects('cron(0 0 ? * MON/2 *)', "'/' increments are not allowed in day-of-week");
  });

  it('rejects a year range that runs backwards', () => {
    assertRejects('cron(0 0 1 1 ? 2032-2030)', "year '2032-2030'", 'range start 2032 is after its end 2030');
  });

  it('rejects garbage tokens, naming them', () => {
    assertRejects('cron(0 10 * * ? abc)', "year 'abc' is not a valid value");
    assertRejects('cron(a 10 * * ? *)', "minutes 'a' is not a valid value (expected 0-59)");
    assertRejects('cron(0 10 * FOO ? *)', "month 'FOO'", 'JAN-DEC');
    assertRejects('cron(0 10 ? * FUNDAY *)', "day-of-week 'FUNDAY'", 'SUN-SAT');
    assertRejects('cron(0 10 ? * WEDX *)', "day-of-week 'WEDX' is not a valid value");
    assertRejects('cron(0.5 10 * * ? *)', "'0.5'");
    assertRejects('cron(1-2-3 10 * * ? *)', "more than one '-'");
    assertRejects('cron(1,,2 10 * * ? *)', 'empty item');
    assertRejects('cron(-5 10 * * ? *)', 'minutes: missing value');
    assertRejects('cron(0 10 * * ? *))', "year '*)'");
  });

  it('rejects malformed rate expressions', () => {
    assertRejects('rate(1 minutes)', "unit 'minutes' does not agree with value 1; use 'minute'");
    assertRejects('rate(5 minute)', "use 'minutes'");
    assertRejects('rate(1 hours)', "use 'hour'");
    assertRejects('rate(2 day)', "use 'days'");
    assertRejects('rate(0 minutes)', 'greater than 0');
    assertRejects('rate(-5 minutes)', "value '-5' must be a positive whole number");
    assertRejects('rate(1.5 hours)', "value '1.5'");
    assertRejects('rate(five minutes)', "value 'five'");
    assertRejects('rate(5 weeks)', "unknown unit 'weeks'");
    assertRejects('rate(5 constructors)', "unknown unit 'constructors'");
    assertRejects('rate(5)', "expected 'rate(value unit)'");
    assertRejects('rate(5 minutes now)', "expected 'rate(value unit)'");
    assertRejects('rate()', "expected 'rate(value unit)'");
  });

  it('rejects malformed at expressions', () => {
    assertRejects('at(2023-02-29T00:00:00)', 'day 29 does not exist in 2023-02');
    assertRejects('at(2024-04-31T00:00:00)', 'day 31 does not exist in 2024-04');
    assertRejects('at(2024-13-01T00:00:00)', 'month 13');
    assertRejects('at(2024-01-01T24:00:00)', 'hour 24');
    assertRejects('at(2024-01-01T00:60:00)', 'minute 60');
    assertRejects('at(2024-01-01T00:00:60)', 'second 60');
    assertRejects('at(1969-12-31T00:00:00)', 'year 1969 is before 1970');
    assertRejects('at(2024-01-01 00:00:00)', 'expected at(yyyy-mm-ddThh:mm:ss)');
    assertRejects('at(2024-1-1T00:00:00)', 'expected at(yyyy-mm-ddThh:mm:ss)');
    assertRejects('at(2024-01-01T00:00:00Z)', 'expected at(yyyy-mm-ddThh:mm:ss)');
  });
});

describe('rate() fire times', () => {
  const rate = parseScheduleExpression('rate(5 minutes)');
  const start = new Date('2024-01-01T00:00:00Z');

  it('fires at start + k*interval, strictly after `after`', () => {
    assert.equal(nextFireTime(rate, new Date('2024-01-01T00:07:00Z'), { start })?.toISOString(), iso('2024-01-01T00:10:00Z'));
    assert.equal(nextFireTime(rate, new Date('2024-01-01T00:10:00Z'), { start })?.toISOString(), iso('2024-01-01T00:15:00Z'));
    assert.equal(nextFireTime(rate, new Date('2024-01-01T00:09:59.999Z'), { start })?.toISOString(), iso('2024-01-01T00:10:00Z'));
  });

  it('fires at the start itself when it is still ahead', () => {
    assert.equal(nextFireTime(rate, new Date('2023-12-31T00:00:00Z'), { start })?.toISOString(), start.toISOString());
  });

  it('without a start, fires one interval after `after`', () => {
    assert.equal(nextFireTime(rate, new Date('2024-06-01T12:34:56Z'))?.toISOString(), iso('2024-06-01T12:39:56Z'));
  });

  it('counts elapsed time, not wall-clock time, across DST', () => {
    const daily = parseScheduleExpression('rate(1 day)');
    const anchor = new Date('2024-03-09T12:00:00Z');
    const next = nextFireTime(daily, new Date('2024-03-10T00:00:00Z'), { start: anchor, timeZone: 'America/New_York' });
    assert.equal(next?.toISOString(), iso('2024-03-10T12:00:00Z'));
  });

  it('iterates at a steady interval', () => {
    const hourly = parseScheduleExpression('rate(2 hours)');
    const seen: string[] = [];
    let cursor = new Date('2024-01-01T00:30:00Z');
    for (let i = 0; i < 3; i++) {
      cursor = nextFireTime(hourly, cursor, { start }) ?? assert.fail('rate never fires');
      seen.push(cursor.toISOString());
    }
    assert.deepEqual(seen, ['2024-01-01T02:00:00Z', '2024-01-01T04:00:00Z', '2024-01-01T06:00:00Z'].map(iso));
  });
});

describe('at() fire times', () => {
  it('fires once, at the wall time in the zone', () => {
    assertFires('at(2030-01-31T23:00:00)', '2024-01-01T00:00:00Z', ['2030-01-31T23:00:00Z', 'never']);
    assertFires('at(2024-07-04T09:00:00)', '2024-01-01T00:00:00Z', ['2024-07-04T13:00:00Z', 'never'], 'America/New_York');
    assertFires('at(2024-07-04T09:00:00)', '2024-01-01T00:00:00Z', ['2024-07-04T07:00:00Z'], 'Europe/Berlin');
  });

  it('never fires once its time has passed, including exactly at it', () => {
    const at = parseScheduleExpression('at(2024-07-04T09:00:00)');
    assert.equal(nextFireTime(at, new Date('2024-07-04T09:00:00Z')), undefined);
    assert.equal(nextFireTime(at, new Date('2025-01-01T00:00:00Z')), undefined);
    assert.equal(nextFireTime(at, new Date('2024-07-04T08:59:59.999Z'))?.toISOString(), iso('2024-07-04T09:00:00Z'));
  });

  it('shifts a one-off in a spring-forward gap to the instant after the jump', () => {
    // 02:30 does not exist in New York on 2024-03-10; 02:30 EST would be 03:30 EDT.
    assertFires('at(2024-03-10T02:30:00)', '2024-03-01T00:00:00Z', ['2024-03-10T07:30:00Z'], 'America/New_York');
  });

  it('fires a one-off in a fall-back overlap at the first occurrence only', () => {
    assertFires('at(2024-11-03T01:30:00)', '2024-11-01T00:00:00Z', ['2024-11-03T05:30:00Z', 'never'], 'America/New_York');
  });
});

describe('leap years and month lengths', () => {
  it('finds 29 February only in leap years, skipping 2100', () => {
    assertFires('cron(0 0 29 2 ? *)', '2024-03-01T00:00:00Z', ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']);
    assertFires('cron(0 0 29 2 ? *)', '2096-03-01T00:00:00Z', ['2104-02-29T00:00:00Z']);
  });

  it('skips months without the requested day instead of clamping', () => {
    assertFires('cron(0 0 31 * ? *)', '2024-01-31T00:00:00Z', [
      '2024-03-31T00:00:00Z',
      '2024-05-31T00:00:00Z',
      '2024-07-31T00:00:00Z',
      '2024-08-31T00:00:00Z',
      '2024-10-31T00:00:00Z',
    ]);
  });

  it("returns undefined for a date that doesn't exist", () => {
    assertFires('cron(0 0 30 2 ? *)', '2024-01-01T00:00:00Z', ['never']);
    assertFires('cron(0 0 31 4 ? *)', '2024-01-01T00:00:00Z', ['never']);
  });

  it("'L' follows the month length, including February in leap years", () => {
    assertFires('cron(0 0 L 2 ? *)', '2023-01-01T00:00:00Z', ['2023-02-28T00:00:00Z', '2024-02-29T00:00:00Z', '2025-02-28T00:00:00Z']);
  });

  it('rolls over year ends', () => {
    assertFires('cron(59 23 31 12 ? *)', '2024-12-31T23:59:00Z', ['2025-12-31T23:59:00Z']);
    assertFires('cron(0 0 1 1 ? *)', '2024-12-31T23:59:59Z', ['2025-01-01T00:00:00Z']);
  });

  it('stops when the year field runs out', () => {
    assertFires('cron(0 0 1 1 ? *)', '2199-01-01T00:00:00Z', ['never']);
    assertFires('cron(0 0 1 1 ? 2020)', '2024-01-01T00:00:00Z', ['never']);
  });
});

describe("'L', 'W' and '#' edge cases", () => {
  it("'1W' when the 1st is a Saturday is Monday the 3rd, never the previous month", () => {
    assertFires('cron(0 0 1W * ? *)', '2023-03-15T00:00:00Z', ['2023-04-03T00:00:00Z', '2023-05-01T00:00:00Z']);
  });

  it("'1W' when the 1st is a Sunday is Monday the 2nd", () => {
    assertFires('cron(0 0 1W * ? *)', '2023-09-15T00:00:00Z', ['2023-10-02T00:00:00Z']);
  });

  it("'31W' when the 31st is a Sunday is Friday the 29th, and skips 30-day months", () => {
    assertFires('cron(0 0 31W * ? *)', '2024-03-01T00:00:00Z', ['2024-03-29T00:00:00Z', '2024-05-31T00:00:00Z']);
  });

  it("'nW' moves a Saturday back to Friday and a Sunday forward to Monday", () => {
    assertFires('cron(0 0 30W * ? *)', '2024-11-01T00:00:00Z', ['2024-11-29T00:00:00Z']); // 30th is a Saturday
    assertFires('cron(0 0 15W * ? *)', '2024-09-01T00:00:00Z', ['2024-09-16T00:00:00Z']); // 15th is a Sunday
  });

  it("'LW' on a month ending Saturday or Sunday is the Friday before", () => {
    assertFires('cron(0 0 LW * ? *)', '2024-06-01T00:00:00Z', ['2024-06-28T00:00:00Z', '2024-07-31T00:00:00Z', '2024-08-30T00:00:00Z']);
  });

  it("'L' alone in day-of-week is every Saturday", () => {
    assertFires('cron(0 0 ? * L *)', '2024-05-15T00:00:00Z', ['2024-05-18T00:00:00Z', '2024-05-25T00:00:00Z']);
  });

  it("'nL' can land on the last day of the month", () => {
    assertFires('cron(0 0 ? * 7L *)', '2024-08-01T00:00:00Z', ['2024-08-31T00:00:00Z']);
    assertFires('cron(0 0 ? * 1L *)', '2024-03-01T00:00:00Z', ['2024-03-31T00:00:00Z']);
  });

  it("'#5' skips months without a fifth occurrence", () => {
    assertFires('cron(0 0 ? * 6#5 *)', '2024-01-01T00:00:00Z', ['2024-03-29T00:00:00Z', '2024-05-31T00:00:00Z', '2024-08-30T00:00:00Z']);
    // A fifth Monday in February needs a leap year starting on a Monday.
    assertFires('cron(0 0 ? 2 MON#5 *)', '2017-01-01T00:00:00Z', ['2044-02-29T00:00:00Z']);
  });
});

/** Day forms written straight from their definitions, to cross-check the calculator over many months. */
function definitionalDays(form: string, year: number, month: number): number[] {
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const weekday = (d: number) => new Date(Date.UTC(year, month - 1, d)).getUTCDay() + 1;
  const all = Array.from({ length }, (_, i) => i + 1);
  const isWeekday = (d: number) => weekday(d) >= 2 && weekday(d) <= 6;
  const nearestWeekdayTo = (n: number) => all.filter(isWeekday).sort((a, b) => Math.abs(a - n) - Math.abs(b - n))[0];
  const dom = /^dom:(.*)$/.exec(form)?.[1];
  if (dom === 'L') return [length];
  if (dom === 'LW') return [nearestWeekdayTo(length)!];
  if (dom?.endsWith('W')) {
    const n = Number(dom.slice(0, -1));
    return n <= length ? [nearestWeekdayTo(n)!] : [];
  }
  const dow = /^dow:(\d)(L|#(\d))$/.exec(form);
  if (!dow) throw new Error(`unknown form ${form}`);
  const target = Number(dow[1]);
  if (dow[2] === 'L') return all.filter((d) => weekday(d) === target && d + 7 > length);
  return all.filter((d) => weekday(d) === target && Math.ceil(d / 7) === Number(dow[3]));
}

describe('agreement with the definitions over 2023-2030', () => {
  const forms = ['dom:L', 'dom:LW', 'dom:1W', 'dom:15W', 'dom:30W', 'dom:31W', 'dow:2L', 'dow:7L', 'dow:1#1', 'dow:4#3', 'dow:6#5'];
  for (const form of forms) {
    it(form, () => {
      const [field, value] = form.split(':') as [string, string];
      const expression = field === 'dom' ? `cron(0 12 ${value} * ? *)` : `cron(0 12 ? * ${value} *)`;
      const expected: string[] = [];
      for (let year = 2023; year <= 2030; year++) {
        for (let month = 1; month <= 12; month++) {
          for (const day of definitionalDays(form, year, month)) expected.push(new Date(Date.UTC(year, month - 1, day, 12)).toISOString());
        }
      }
      assert.ok(expected.length >= 96 * 0.3, 'the oracle should produce a meaningful number of days');
      assert.deepEqual(fires(expression, '2023-01-01T00:00:00Z', expected.length), expected);
    });
  }
});

describe('efficiency', () => {
  function averageMs(run: () => void, times: number): number {
    const started = performance.now();
    for (let i = 0; i < times; i++) run();
    return (performance.now() - started) / times;
  }

  it('steps by field, not by minute, for sparse schedules', () => {
    const leapDay = parseScheduleExpression('cron(0 0 29 2 ? *)');
    const never = parseScheduleExpression('cron(0 0 30 2 ? *)');
    const farYear = parseScheduleExpression('cron(0 0 1 1 ? 2199)');
    const after = new Date('2097-03-01T00:00:00Z');
    nextFireTime(leapDay, after, { timeZone: 'America/New_York' }); // warm the zone's formatter
    // A minute-by-minute scan would need millions of steps for each of these.
    assert.ok(averageMs(() => nextFireTime(leapDay, after, { timeZone: 'America/New_York' }), 200) < 2);
    assert.ok(averageMs(() => nextFireTime(never, new Date('1970-01-01T00:00:00Z')), 50) < 5);
    assert.ok(averageMs(() => nextFireTime(farYear, new Date('1970-01-01T00:00:00Z'), { timeZone: 'Europe/Berlin' }), 200) < 2);
    assert.equal(nextFireTime(farYear, new Date('1970-01-01T00:00:00Z'), { timeZone: 'Europe/Berlin' })?.toISOString(), iso('2198-12-31T23:00:00Z'));
  });
});
