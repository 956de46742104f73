import { useState } from 'react';
import { ssm } from '../../api/client';
import type { MaintenanceWindow } from '../../api/types';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { browserZone, isKnownZone } from './calendar';
import { NextStart } from './NextStart';
import { ScheduleCalendar, useUpcoming } from './ScheduleCalendar';
import { durationSummary, windowLabel } from './windows';

/** Maintenance Windows: the windows a page at a time, and the next 14 days of all of them on a calendar. */
export function WindowsPage() {
  const [query, setQuery] = useQuery();
  const pager = usePager();
  const [nonce, setNonce] = useState(0);
  const list = useAsync(
    (signal) => ssm<{ WindowIdentities?: MaintenanceWindow[]; NextToken?: string }>('DescribeMaintenanceWindows', { MaxResults: 25, ...(pager.token ? { NextToken: pager.token } : {}) }, { signal }),
    [pager.token, nonce],
  );
  const upcoming = useUpcoming({ nonce });
  const rows = list.data?.WindowIdentities ?? [];
  const asked = query.get('zone') ?? '';
  const zone = asked && isKnownZone(asked) ? asked : browserZone();
  const zones = [...new Set((upcoming.data?.starts ?? []).map((s) => s.timeZone))].sort();

  return (
    <Page
      title="Maintenance Windows"
      testId="windows-page"
      actions={
        <>
          <button type="button" className="button" onClick={() => setNonce((n) => n + 1)} disabled={list.loading} data-testid="mw-refresh">
            Refresh
          </button>
          <Link to="/maintenance-windows/create" className="button button-primary" data-testid="mw-create">
            Create window
          </Link>
        </>
      }
    >
      <p className="hint">A maintenance window is a recurring slot in which its tasks run on its targets, in order of priority, a few nodes at a time, with no new task after the cutoff.</p>
      <section className="panel" aria-labelledby="h-mw-list">
        <h2 id="h-mw-list">Windows</h2>
        {list.loading && !list.data ? <Loading /> : null}
        {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
        {list.data && rows.length === 0 ? <Empty>There are no maintenance windows in this region yet.</Empty> : null}
        {rows.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="mw-table">
              <thead>
                <tr>
                  <th scope="col">Window</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">Next start</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((w) => (
                  <tr key={w.WindowId} data-testid="mw-row" data-window-id={w.WindowId} data-enabled={String(!!w.Enabled)}>
                    <td>
                      <Link to={`/maintenance-windows/${w.WindowId}`} data-testid="mw-link">
                        {windowLabel(w)}
                      </Link>
                      <div className="muted small mono">{w.WindowId}</div>
                      {w.Description ? <div className="muted small">{w.Description}</div> : null}
                    </td>
                    <td data-testid="mw-schedule-cell">
                      <code className="break">{w.Schedule ?? '—'}</code>
                      <div className="muted small">
                        {w.ScheduleTimezone || 'UTC'}
                        {w.ScheduleOffset ? `, ${w.ScheduleOffset} day${w.ScheduleOffset === 1 ? '' : 's'} later` : ''}
                      </div>
                    </td>
                    <td className="small">{durationSummary(w)}</td>
                    <td>
                      <StatusBadge status={w.Enabled ? 'Enabled' : 'Disabled'} />
                    </td>
                    <td data-testid="mw-next">
                      <NextStart w={w} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <Pager page={pager.page} nextToken={list.data?.NextToken} onNext={pager.next} onPrev={pager.prev} busy={list.loading} />
      </section>

      <section className="panel" aria-labelledby="h-mw-upcoming" data-testid="mw-upcoming">
        <h2 id="h-mw-upcoming">Upcoming: the next 14 days</h2>
        <ScheduleCalendar upcoming={upcoming.data} zone={zone} onZone={(z) => setQuery({ zone: z === browserZone() ? '' : z })} zones={zones} loading={upcoming.loading} error={upcoming.error} retry={upcoming.reload} />
      </section>
    </Page>
  );
}
