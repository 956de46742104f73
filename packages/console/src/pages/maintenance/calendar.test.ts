import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calendarDays, clock, currentZoneName, dayKey, instantOf, layoutCalendar, offsetAt, parseExecutionTime, rangeText, startText, type WindowStart } from './calendar';

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} is not ${b}`);

/** "Sunday 03:00 New York, 4 hours, cutoff 1" on two Sundays either side of the clocks going back. */
const sundayPatching = (at: string): WindowStart => ({ windowId: 'mw-0123456789abcdef0', name: 'sunday-patching', at: parseExecutionTime(at)!.ms, duration: 4, cutoff: 1, timeZone: 'America/New_York' });

test('AWS execution times: the instant and the offset the window had then', () => {
  assert.deepEqual(parseExecutionTime('2026-11-01T03:00-05:00'), { ms: Date.UTC(2026, 10, 1, 8), offsetMinutes: -300 });
  assert.deepEqual(parseExecutionTime('2026-10-25T03:00-04:00'), { ms: Date.UTC(2026, 9, 25, 7), offsetMinutes: -240 });
  assert.deepEqual(parseExecutionTime('2026-11-04T05:00Z'), { ms: Date.UTC(2026, 10, 4, 5), offsetMinutes: 0 });
  assert.deepEqual(parseExecutionTime('2026-11-04T05:00:30+05:30'), { ms: Date.UTC(2026, 10, 3, 23, 30, 30), offsetMinutes: 330 });
  assert.equal(parseExecutionTime('2026-11-04 05:00'), undefined);
  assert.equal(parseExecutionTime('next Sunday'), undefined);
  assert.equal(parseExecutionTime(undefined), undefined);
});

test('wall times in a zone: offsets, a skipped time moves on by the gap, a repeated one is one of its instants', () => {
  assert.equal(offsetAt(Date.UTC(2026, 6, 1), 'America/New_York'), -4 * H);
  assert.equal(offsetAt(Date.UTC(2026, 11, 1), 'America/New_York'), -5 * H);
  assert.equal(offsetAt(Date.UTC(2026, 6, 1), 'Asia/Kolkata'), 5.5 * H);
  assert.equal(iso(instantOf({ year: 2026, month: 11, day: 1, hour: 3, minute: 0, second: 0 }, 'America/New_York')), '2026-11-01T08:00:00.000Z');
  // 02:30 does not happen on 8 March 2026 in New York: the clocks go from 02:00 to 03:00.
  assert.equal(iso(instantOf({ year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 }, 'America/New_York')), '2026-03-08T07:30:00.000Z');
  // 01:30 happens twice on 1 November 2026.
  const repeated = instantOf({ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 }, 'America/New_York');
  assert.ok([Date.UTC(2026, 10, 1, 5, 30), Date.UTC(2026, 10, 1, 6, 30)].includes(repeated), iso(repeated));
  assert.equal(dayKey(Date.UTC(2026, 10, 1, 3, 59), 'America/New_York'), '2026-10-31');
  assert.equal(dayKey(Date.UTC(2026, 10, 1, 4, 0), 'America/New_York'), '2026-11-01');
});

test('days are midnight to midnight in the zone: 25 hours when the clocks go back, 23 when they go forward', () => {
  const autumn = calendarDays(Date.UTC(2026, 9, 31, 16), 3, 'America/New_York');
  assert.deepEqual(
    autumn.map((d) => [d.key, iso(d.start), d.hours]),
    [
      ['2026-10-31', '2026-10-31T04:00:00.000Z', 24],
      ['2026-11-01', '2026-11-01T04:00:00.000Z', 25],
      ['2026-11-02', '2026-11-02T05:00:00.000Z', 24],
    ],
  );
  // On the long day 06:00 comes 7 hours after midnight.
  near(autumn[1]!.ticks[0]!.at, 7 / 25, '06:00 on 1 November');
  near(autumn[1]!.ticks[1]!.at, 13 / 25, '12:00 on 1 November');
  near(autumn[0]!.ticks[1]!.at, 12 / 24, '12:00 on 31 October');

  const spring = calendarDays(Date.UTC(2026, 2, 8, 12), 2, 'America/New_York');
  assert.deepEqual(
    spring.map((d) => [d.key, d.hours]),
    [
      ['2026-03-08', 23],
      ['2026-03-09', 24],
    ],
  );
  near(spring[0]!.ticks[0]!.at, 5 / 23, '06:00 on 8 March');
  // Every day ends where the next begins.
  for (const days of [autumn, spring]) for (let i = 1; i < days.length; i++) assert.equal(days[i]!.start, days[i - 1]!.end);
});

test('a window at 03:00 New York sits at 03:00 on its day in New York, before and after the clocks go back', () => {
  const starts = [sundayPatching('2026-10-25T03:00-04:00'), sundayPatching('2026-11-01T03:00-05:00')];
  const days = calendarDays(Date.UTC(2026, 9, 24, 12), 10, 'America/New_York');
  const layout = layoutCalendar(starts, days);
  const on = (key: string) => layout.find((d) => d.day.key === key)!;
  assert.deepEqual(
    layout.filter((d) => d.lanes.length).map((d) => d.day.key),
    ['2026-10-25', '2026-11-01'],
  );
  const before = on('2026-10-25').lanes[0]!.bars[0]!;
  near(before.left, 3 / 24, 'left on 25 October');
  near(before.width, 4 / 24, 'width on 25 October');
  // 03:00 EST on the 25-hour day is four hours after midnight EDT.
  const after = on('2026-11-01').lanes[0]!.bars[0]!;
  near(after.left, 4 / 25, 'left on 1 November');
  near(after.width, 4 / 25, 'width on 1 November');
  near(after.cutoffLeft!, 7 / 25, 'cutoff on 1 November');
  assert.equal(clock(after.from, 'America/New_York'), '03:00');
  assert.deepEqual(on('2026-11-01').lanes[0]!.startsToday, [starts[1]]);
});

test('the same window seen from Berlin: on the day and hour it is there, and worded in both zones', () => {
  const starts = [sundayPatching('2026-10-25T03:00-04:00'), sundayPatching('2026-11-01T03:00-05:00')];
  const layout = layoutCalendar(starts, calendarDays(Date.UTC(2026, 9, 24, 12), 10, 'Europe/Berlin'));
  const on = (key: string) => layout.find((d) => d.day.key === key)!;
  // Berlin's clocks went back on 25 October, New York's a week later: 08:00 then 09:00 in Berlin.
  const oct = on('2026-10-25');
  assert.equal(oct.day.hours, 25);
  near(oct.lanes[0]!.bars[0]!.left, 9 / 25, 'left on 25 October in Berlin');
  assert.equal(clock(oct.lanes[0]!.bars[0]!.from, 'Europe/Berlin'), '08:00');
  const nov = on('2026-11-01');
  near(nov.lanes[0]!.bars[0]!.left, 9 / 24, 'left on 1 November in Berlin');
  assert.deepEqual(startText(starts[1]!, 'Europe/Berlin'), { window: '03:00–07:00 America/New_York', viewer: '09:00–13:00 your time' });
  assert.deepEqual(startText(starts[0]!, 'Europe/Berlin'), { window: '03:00–07:00 America/New_York', viewer: '08:00–12:00 your time' });
  // The viewer in New York reads it once.
  assert.deepEqual(startText(starts[1]!, 'America/New_York'), { window: '03:00–07:00 America/New_York' });
  // From Kolkata the window runs past midnight.
  assert.deepEqual(startText(starts[1]!, 'Asia/Kolkata'), { window: '03:00–07:00 America/New_York', viewer: '13:30–17:30 your time' });
  assert.equal(rangeText(Date.UTC(2026, 10, 1, 22), Date.UTC(2026, 10, 2, 2), 'UTC'), '22:00–02:00 (+1 day)');
});

test('a window past midnight shows on both days; the cutoff is marked on the day it falls', () => {
  const s: WindowStart = { windowId: 'mw-1', name: 'late', at: Date.UTC(2026, 10, 4, 22), duration: 4, cutoff: 1, timeZone: 'UTC' };
  const layout = layoutCalendar([s], calendarDays(Date.UTC(2026, 10, 4, 1), 3, 'UTC'));
  const [first, second, third] = layout;
  const a = first!.lanes[0]!.bars[0]!;
  near(a.left, 22 / 24, 'left');
  near(a.width, 2 / 24, 'width to midnight');
  assert.equal(a.intoNext, true);
  assert.equal(a.fromPrevious, false);
  assert.equal(a.cutoffLeft, undefined, 'the cutoff comes the next day');
  const b = second!.lanes[0]!.bars[0]!;
  assert.equal(b.left, 0);
  near(b.width, 2 / 24, 'width after midnight');
  near(b.cutoffLeft!, 1 / 24, 'cutoff at 01:00');
  assert.equal(b.fromPrevious, true);
  assert.deepEqual(second!.lanes[0]!.startsToday, [], 'it started the day before');
  assert.equal(third!.lanes.length, 0);
});

test('one lane per window a day, in the order they open; overlapping starts of one window merge into one bar', () => {
  const hourly: WindowStart[] = Array.from({ length: 24 }, (_, i) => ({ windowId: 'mw-b', name: 'hourly', at: Date.UTC(2026, 10, 4, i), duration: 2, cutoff: 0, timeZone: 'UTC' }));
  const nightly: WindowStart = { windowId: 'mw-a', name: 'nightly', at: Date.UTC(2026, 10, 4, 0, 0), duration: 1, cutoff: 0, timeZone: 'UTC' };
  const [day, next] = layoutCalendar([...hourly, nightly], calendarDays(Date.UTC(2026, 10, 4, 12), 2, 'UTC'));
  assert.deepEqual(
    day!.lanes.map((l) => l.windowId),
    ['mw-a', 'mw-b'],
  );
  const lane = day!.lanes[1]!;
  assert.equal(lane.bars.length, 1);
  assert.equal(lane.bars[0]!.starts.length, 24);
  assert.equal(lane.bars[0]!.width, 1);
  assert.equal(lane.bars[0]!.intoNext, true);
  assert.equal(lane.startsToday.length, 24);
  // The last start (23:00 for 2 h) spills into the next day.
  assert.deepEqual(
    next!.lanes.map((l) => [l.windowId, l.bars[0]!.width * 24]),
    [['mw-b', 1]],
  );
});

test("a browser's old zone name reads as the current one", () => {
  assert.equal(currentZoneName('Asia/Calcutta'), 'Asia/Kolkata');
  assert.equal(currentZoneName('Europe/Paris'), 'Europe/Paris');
  assert.equal(offsetAt(Date.UTC(2026, 0, 1), currentZoneName('Asia/Calcutta')), offsetAt(Date.UTC(2026, 0, 1), 'Asia/Calcutta'));
});
