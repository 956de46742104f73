import { useState } from 'react';
import { allPages, ssm } from '../../api/client';
import type { MaintenanceWindow, MaintenanceWindowTarget } from '../../api/types';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate } from '../../router/router';
import { browserZone, dayLabel, startText } from './calendar';
import { NextStart } from './NextStart';
import { useUpcoming } from './ScheduleCalendar';
import { WindowExecutions } from './WindowExecutions';
import { WindowTargets } from './WindowTargets';
import { WindowTasks } from './WindowTasks';
import { durationSummary, windowLabel } from './windows';

export function WindowPage({ id }: { id: string }) {
  const [nonce, setNonce] = useState(0);
  const refresh = () => setNonce((n) => n + 1);
  const win = useAsync((signal) => ssm<MaintenanceWindow>('GetMaintenanceWindow', { WindowId: id }, { signal }), [id, nonce]);
  const targets = useAsync(
    (signal) =>
      allPages<{ Targets?: MaintenanceWindowTarget[]; NextToken?: string }, MaintenanceWindowTarget>('DescribeMaintenanceWindowTargets', { WindowId: id, MaxResults: 100 }, (p) => p.Targets, { signal, limit: 1000 }),
    [id, nonce],
  );
  const w = win.data;
  const [gone, setGone] = useState(false);

  const [toggling, setToggling] = useState(false);
  const [toggleError, setToggleError] = useState<unknown>();
  const toggle = async () => {
    if (!w) return;
    setToggling(true);
    setToggleError(undefined);
    try {
      await ssm('UpdateMaintenanceWindow', { WindowId: id, Enabled: !w.Enabled });
      refresh();
    } catch (e) {
      setToggleError(e);
    } finally {
      setToggling(false);
    }
  };

  const [deleting, setDeleting] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [deleteError, setDeleteError] = useState<unknown>();
  const remove = async () => {
    setDeleting('busy');
    setDeleteError(undefined);
    // Nothing on the page may ask about the window once it is going.
    setGone(true);
    try {
      await ssm('DeleteMaintenanceWindow', { WindowId: id });
      navigate('/maintenance-windows');
    } catch (e) {
      setGone(false);
      setDeleteError(e);
      setDeleting('idle');
    }
  };

  return (
    <Page
      title={w ? windowLabel(w) : id}
      heading={w?.Name ? <span className="break">{w.Name}</span> : <span className="mono">{id}</span>}
      testId="window-page"
      actions={
        <>
          <Link to="/maintenance-windows" className="button">
            All windows
          </Link>
          <button type="button" className="button" onClick={refresh} data-testid="mw-page-refresh">
            Refresh
          </button>
          {w ? (
            <button type="button" className="button" onClick={() => void toggle()} disabled={toggling} aria-pressed={!!w.Enabled} data-testid="mw-toggle-enabled">
              {toggling ? 'Saving…' : w.Enabled ? 'Disable' : 'Enable'}
            </button>
          ) : null}
          {w ? (
            deleting === 'idle' ? (
              <button type="button" className="button button-danger" onClick={() => setDeleting('confirm')} data-testid="mw-delete">
                Delete
              </button>
            ) : (
              <span className="confirm" role="group" aria-label="Confirm deletion">
                Delete this window with its targets, tasks and history?{' '}
                <button type="button" className="button button-danger" onClick={() => void remove()} disabled={deleting === 'busy'} data-testid="mw-delete-confirm">
                  {deleting === 'busy' ? 'Deleting…' : 'Yes, delete'}
                </button>{' '}
                <button type="button" className="button" onClick={() => setDeleting('idle')}>
                  Keep it
                </button>
              </span>
            )
          ) : null}
        </>
      }
    >
      {deleteError !== undefined ? <ErrorBox error={deleteError} title="The window was not deleted" testId="mw-delete-error" /> : null}
      {toggleError !== undefined ? <ErrorBox error={toggleError} title="The window was not changed" testId="mw-toggle-error" /> : null}
      {win.loading && !w ? <Loading /> : null}
      {win.error !== undefined ? <ErrorBox error={win.error} retry={win.reload} testId="mw-load-error" /> : null}
      {w && !gone ? (
        <>
          <section className="panel" aria-labelledby="h-mw">
            <div className="live-head">
              <h2 id="h-mw">Window</h2>
              <span aria-live="polite">
                <StatusBadge status={w.Enabled ? 'Enabled' : 'Disabled'} testId="mw-enabled" />
              </span>
            </div>
            <WindowFacts w={w} />
          </section>
          <NextStarts id={id} w={w} />
          <WindowTargets id={id} targets={targets.data} loading={targets.loading} error={targets.error} reload={targets.reload} />
          <WindowTasks id={id} window={w} targets={targets.data ?? []} />
          <WindowExecutions id={id} window={w} onNew={win.reload} />
        </>
      ) : null}
    </Page>
  );
}

function WindowFacts({ w }: { w: MaintenanceWindow }) {
  return (
    <dl className="facts" data-testid="mw-info">
      <dt>Window ID</dt>
      <dd className="mono">{w.WindowId}</dd>
      {w.Description ? (
        <>
          <dt>Description</dt>
          <dd>{w.Description}</dd>
        </>
      ) : null}
      <dt>Schedule</dt>
      <dd data-testid="mw-detail-schedule">
        <code>{w.Schedule}</code>
        {w.ScheduleOffset ? <span className="muted"> and {w.ScheduleOffset} days later</span> : null}
      </dd>
      <dt>Time zone</dt>
      <dd data-testid="mw-detail-timezone">{w.ScheduleTimezone || 'UTC'}</dd>
      <dt>Duration</dt>
      <dd data-testid="mw-detail-duration">{durationSummary(w)}</dd>
      <dt>Next start</dt>
      <dd data-testid="mw-detail-next">
        <NextStart w={w} />
      </dd>
      {w.StartDate || w.EndDate ? (
        <>
          <dt>Between</dt>
          <dd>
            {w.StartDate || 'now'} and {w.EndDate || 'no end'} <span className="muted">({w.ScheduleTimezone || 'UTC'} where no zone is written)</span>
          </dd>
        </>
      ) : null}
      <dt>Unregistered targets</dt>
      <dd data-testid="mw-detail-unassociated">{w.AllowUnassociatedTargets ? 'Allowed: tasks may name nodes directly' : 'Not allowed: tasks run on registered targets'}</dd>
      <dt>Created</dt>
      <dd>{formatTime(w.CreatedDate)}</dd>
      <dt>Last changed</dt>
      <dd>{formatTime(w.ModifiedDate)}</dd>
    </dl>
  );
}

/** The window's next few starts, in its zone and the viewer's; the calendar of all windows is on the list page. */
function NextStarts({ id, w }: { id: string; w: MaintenanceWindow }) {
  const upcoming = useUpcoming({ windowId: id, window: w });
  const viewer = browserZone();
  const zone = w.ScheduleTimezone || 'UTC';
  const starts = (upcoming.data?.starts ?? []).slice(0, 10);
  return (
    <section className="panel" aria-labelledby="h-mw-next">
      <h2 id="h-mw-next">Next starts</h2>
      {upcoming.loading && !upcoming.data ? <Loading /> : null}
      {upcoming.error !== undefined ? <ErrorBox error={upcoming.error} retry={upcoming.reload} /> : null}
      {upcoming.data && starts.length === 0 ? <Empty>{w.Enabled ? 'It does not open in the next 14 days.' : 'It is disabled: it does not open until it is enabled.'}</Empty> : null}
      {starts.length ? (
        <ol className="plain mw-next-starts" data-testid="mw-next-starts">
          {starts.map((s) => {
            const t = startText(s, viewer);
            return (
              <li key={s.at} data-start={new Date(s.at).toISOString()}>
                {dayLabel(s.at, zone)} <span className="mono">{t.window}</span>
                {t.viewer ? (
                  <span className="muted">
                    {' '}
                    · {dayLabel(s.at, viewer)} <span className="mono">{t.viewer}</span>
                  </span>
                ) : null}
              </li>
            );
          })}
        </ol>
      ) : null}
      <p className="muted small">
        <Link to="/maintenance-windows">All windows on the calendar</Link>
      </p>
    </section>
  );
}
