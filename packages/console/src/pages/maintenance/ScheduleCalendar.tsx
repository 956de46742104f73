import { useMemo, useRef, type KeyboardEvent } from 'react';
import { allPages, ssm } from '../../api/client';
import type { MaintenanceWindow, ScheduledWindowExecution } from '../../api/types';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';
import { browserZone, calendarDays, clock, dayKey, dayLabel, HOUR, layoutCalendar, parseExecutionTime, rangeText, startText, type Bar, type DayLayout, type Lane, type WindowStart } from './calendar';
import { windowLabel } from './windows';

export const CALENDAR_DAYS = 14;
/** Starts asked for at most; a window every few minutes could otherwise fill thousands of rows. */
const MAX_STARTS = 3000;

type SchedulePage = { ScheduledWindowExecutions?: ScheduledWindowExecution[]; NextToken?: string };

export interface Upcoming {
  starts: WindowStart[];
  /** Set when there were more starts than MAX_STARTS: the calendar is complete only before this instant. */
  completeUntil?: number;
}

/**
 * The next `days` days of starts, of one window or of all, as DescribeMaintenanceWindowSchedule
 * has them (enabled windows only), joined with each window's Duration, Cutoff and zone.
 */
export function useUpcoming(opts: { windowId?: string; window?: MaintenanceWindow; days?: number; nonce?: unknown }) {
  const days = opts.days ?? CALENDAR_DAYS;
  return useAsync(
    async (signal): Promise<Upcoming> => {
      // A day more than shown, so the last day is full in any zone.
      const until = new Date(Date.now() + (days + 1) * 24 * HOUR).toISOString();
      const windowsP = opts.window
        ? Promise.resolve([opts.window])
        : allPages<{ WindowIdentities?: MaintenanceWindow[]; NextToken?: string }, MaintenanceWindow>('DescribeMaintenanceWindows', { MaxResults: 100 }, (p) => p.WindowIdentities, { signal, limit: 1000 });
      const scheduleP = (async () => {
        const entries: ScheduledWindowExecution[] = [];
        let token: string | undefined;
        do {
          const page = await ssm<SchedulePage>(
            'DescribeMaintenanceWindowSchedule',
            { ...(opts.windowId ? { WindowId: opts.windowId } : {}), Filters: [{ Key: 'ScheduledBefore', Values: [until] }], MaxResults: 500, ...(token ? { NextToken: token } : {}) },
            { signal },
          );
          entries.push(...(page.ScheduledWindowExecutions ?? []));
          token = page.NextToken || undefined;
        } while (token && entries.length < MAX_STARTS);
        return { entries, more: token !== undefined };
      })();
      // Together, so a failure of either (an abort) is never left unhandled.
      const [list, { entries, more }] = await Promise.all([windowsP, scheduleP]);
      const windows = new Map(list.map((w) => [w.WindowId, w]));
      const starts: WindowStart[] = [];
      for (const e of entries) {
        const at = parseExecutionTime(e.ExecutionTime)?.ms;
        const w = e.WindowId ? windows.get(e.WindowId) : undefined;
        if (at === undefined || !e.WindowId) continue;
        starts.push({ windowId: e.WindowId, name: w ? windowLabel(w) : (e.Name ?? e.WindowId), at, duration: w?.Duration ?? 1, cutoff: w?.Cutoff ?? 0, timeZone: w?.ScheduleTimezone || 'UTC' });
      }
      const last = starts[starts.length - 1];
      return { starts, ...(more && last ? { completeUntil: last.at } : {}) };
    },
    [opts.windowId, opts.window, days, opts.nonce],
  );
}

const KEYS = ['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp'];

/**
 * The upcoming schedule as a list of days (in `zone`), each window that is open on a day as a
 * line with a bar for its time on a midnight-to-midnight track, and the times in words, in the
 * window's zone and the viewer's. The words carry everything the bars show. Up and Down move
 * between the windows' links, Page Up and Page Down between days, Home and End to either end.
 */
export function ScheduleCalendar({
  upcoming,
  zone,
  onZone,
  zones,
  days = CALENDAR_DAYS,
  loading,
  error,
  retry,
}: {
  upcoming: Upcoming | undefined;
  zone: string;
  onZone?: (zone: string) => void;
  /** Zones the days can be shown in, besides the viewer's and UTC. */
  zones?: string[];
  days?: number;
  loading: boolean;
  error: unknown;
  retry: () => void;
}) {
  const viewer = browserZone();
  // The moment the schedule was read: the calendar starts on that day and marks it.
  const now = useMemo(() => Date.now(), [upcoming]);
  const layout = useMemo(() => (upcoming ? layoutCalendar(upcoming.starts, calendarDays(now, days, zone)) : []), [upcoming, days, zone, now]);
  const box = useRef<HTMLDivElement>(null);
  const choices = [...new Set([viewer, 'UTC', ...(zones ?? [])])];

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!KEYS.includes(e.key) || !box.current) return;
    const links = [...box.current.querySelectorAll<HTMLAnchorElement>('[data-cal-entry]')];
    if (!links.length) return;
    const at = links.findIndex((l) => l === document.activeElement);
    const dayOf = (i: number) => links[i]?.dataset.day;
    let next = at;
    if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = links.length - 1;
    else if (e.key === 'ArrowDown') next = Math.min(links.length - 1, at + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, at < 0 ? 0 : at - 1);
    else if (e.key === 'PageDown') {
      next = links.findIndex((_, i) => i > at && dayOf(i) !== dayOf(at));
      if (next < 0) next = links.length - 1;
    } else if (e.key === 'PageUp') {
      const here = dayOf(at);
      let i = at - 1;
      while (i >= 0 && dayOf(i) === here) i--;
      const prevDay = dayOf(i);
      while (i > 0 && dayOf(i - 1) === prevDay) i--;
      next = Math.max(0, i);
    }
    e.preventDefault();
    links[next]?.focus();
  };

  return (
    <div className="mw-calendar" data-testid="mw-calendar" data-zone={zone}>
      <div className="mw-calendar-head">
        <p className="hint" id="mw-cal-hint">
          Each day runs from midnight to midnight in <strong>{zone}</strong>; thin lines mark 06:00, 12:00 and 18:00, and the hatched end of a bar is the cutoff, when no new task starts. Up and Down move between windows, Page Up and Page Down between days.
        </p>
        {onZone ? (
          <label className="mw-zone-pick">
            Days in{' '}
            <select value={zone} onChange={(e) => onZone(e.target.value)} data-testid="mw-calendar-zone">
              {choices.map((z) => (
                <option key={z} value={z}>
                  {z === viewer ? `${z} (your time zone)` : z}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      {loading && !upcoming ? <Loading label="Working out the schedule…" /> : null}
      {error !== undefined ? <ErrorBox error={error} retry={retry} title="The schedule could not be read" /> : null}
      {upcoming && upcoming.starts.length === 0 ? (
        <Empty>
          <span data-testid="mw-calendar-empty">No enabled window opens in the next {days} days.</span>
        </Empty>
      ) : null}
      {upcoming && upcoming.starts.length ? (
        <div ref={box} onKeyDown={onKey} role="group" aria-label={`Upcoming maintenance windows, ${days} days`} aria-describedby="mw-cal-hint">
          <ol className="mw-days">
            {layout.map((d, i) => (
              <CalendarDay key={d.day.key} d={d} index={i} zone={zone} viewer={viewer} now={now} completeUntil={upcoming.completeUntil} />
            ))}
          </ol>
        </div>
      ) : null}
      {upcoming?.completeUntil !== undefined ? (
        <p className="callout callout-warn" data-testid="mw-calendar-more">
          Windows open so often that only the first {MAX_STARTS} starts are shown, up to {dayLabel(upcoming.completeUntil, zone)} {clock(upcoming.completeUntil, zone)}.
        </p>
      ) : null}
    </div>
  );
}

function CalendarDay({ d, index, zone, viewer, now, completeUntil }: { d: DayLayout; index: number; zone: string; viewer: string; now: number; completeUntil: number | undefined }) {
  const { day, lanes } = d;
  const relative = index === 0 ? 'today' : index === 1 ? 'tomorrow' : undefined;
  const clocks = day.hours > 24 ? `${day.hours} h: the clocks go back` : day.hours < 24 ? `${day.hours} h: the clocks go forward` : undefined;
  const cut = completeUntil !== undefined && day.start > completeUntil;
  const headId = `mw-day-${day.key}`;
  return (
    <li className={`mw-day${lanes.length ? '' : ' mw-day-empty'}`} data-testid="mw-day" data-day={day.key} aria-labelledby={headId}>
      <h3 className="mw-day-head" id={headId}>
        {dayLabel(day.start, zone)}
        {relative ? <span className="muted small"> {relative}</span> : null}
        {clocks ? <span className="mw-dst small"> ({clocks})</span> : null}
      </h3>
      {lanes.length === 0 ? <p className="muted small mw-day-none">{cut ? 'Not shown: too many starts before it.' : 'No window opens.'}</p> : null}
      {lanes.length ? (
        <ul className="mw-lanes">
          {lanes.map((lane) => (
            <CalendarLane key={lane.windowId} lane={lane} dayKey={day.key} dayStart={day.start} dayEnd={day.end} ticks={day.ticks} zone={zone} viewer={viewer} now={now} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function laneWords(lane: Lane, viewer: string, zone: string): { window: string; viewer?: string | undefined }[] {
  const today = lane.startsToday;
  if (!today.length) {
    const bar = lane.bars[0]!;
    const s = bar.starts[0]!;
    const text = startText(s, viewer);
    return [{ window: `since ${dayLabel(s.at, zone)}: ${text.window}`, viewer: text.viewer }];
  }
  if (today.length <= 3) return today.map((s) => startText(s, viewer));
  const first = today[0]!;
  const last = today[today.length - 1]!;
  const z = first.timeZone;
  const words = { window: `${today.length} starts, ${clock(first.at, z)} to ${clock(last.at, z)} ${z}, each for ${first.duration} h` };
  const same = dayKey(first.at, z) === dayKey(first.at, viewer) && clock(first.at, z) === clock(first.at, viewer);
  return [same ? words : { ...words, viewer: `${clock(first.at, viewer)} to ${clock(last.at, viewer)} your time` }];
}

function CalendarLane({ lane, dayKey: day, dayStart, dayEnd, ticks, zone, viewer, now }: { lane: Lane; dayKey: string; dayStart: number; dayEnd: number; ticks: { hour: number; at: number }[]; zone: string; viewer: string; now: number }) {
  const words = laneWords(lane, viewer, zone);
  const label = `${lane.name}: ${words.map((w) => (w.viewer ? `${w.window} (${w.viewer})` : w.window)).join('; ')}`;
  const starts = lane.startsToday.map((s) => new Date(s.at).toISOString()).join(' ');
  return (
    <li className="mw-lane" data-testid="mw-entry" data-window-id={lane.windowId} data-starts={starts}>
      <Link to={`/maintenance-windows/${lane.windowId}`} className="mw-lane-name" data-cal-entry="" data-day={day} aria-label={label} data-testid="mw-entry-link">
        {lane.name}
      </Link>
      <div className="mw-track" aria-hidden="true">
        {ticks.map((t) => (
          <span key={t.hour} className="mw-tick" style={{ left: `${t.at * 100}%` }} />
        ))}
        {now >= dayStart && now < dayEnd ? <span className="mw-now" style={{ left: `${((now - dayStart) / (dayEnd - dayStart)) * 100}%` }} title="now" /> : null}
        {lane.bars.map((b) => (
          <BarView key={b.from} bar={b} lane={lane} zone={zone} />
        ))}
      </div>
      <div className="mw-words small">
        {words.map((w, i) => (
          <div key={i}>
            <span className="mono">{w.window}</span>
            {w.viewer ? <span className="muted"> · {w.viewer}</span> : null}
          </div>
        ))}
      </div>
    </li>
  );
}

function BarView({ bar, lane, zone }: { bar: Bar; lane: Lane; zone: string }) {
  const title = `${lane.name}: ${rangeText(bar.from, bar.to, zone)} ${zone}${bar.starts.length > 1 ? ` (${bar.starts.length} starts)` : ''}`;
  const cut = bar.cutoffLeft !== undefined ? ((bar.cutoffLeft - bar.left) / bar.width) * 100 : undefined;
  return (
    <span className={`mw-bar${bar.fromPrevious ? ' from-previous' : ''}${bar.intoNext ? ' into-next' : ''}`} style={{ left: `${bar.left * 100}%`, width: `${bar.width * 100}%` }} title={title}>
      {cut !== undefined && cut < 100 ? <span className="mw-bar-cutoff" style={{ left: `${Math.max(0, cut)}%` }} /> : null}
    </span>
  );
}
