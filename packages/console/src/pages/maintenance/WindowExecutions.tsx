import { useEffect, useRef, useState } from 'react';
import { ssm } from '../../api/client';
import type { MaintenanceWindow, MaintenanceWindowExecution } from '../../api/types';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';
import { duration } from '../automation/format';
import { executionsPollDelay, isRunning } from './windows';

/**
 * The window's executions, newest first, a page at a time. The first page is asked again every
 * 2 s while one runs or the window is about to open (or just opened and its execution has not
 * shown yet), and every 30 s otherwise, so a new execution appears without a reload.
 */
export function WindowExecutions({ id, window: w, onNew }: { id: string; window: MaintenanceWindow; onNew?: () => void }) {
  const pager = usePager();
  const [tick, setTick] = useState(0);
  const list = useAsync(
    (signal) => ssm<{ WindowExecutions?: MaintenanceWindowExecution[]; NextToken?: string }>('DescribeMaintenanceWindowExecutions', { WindowId: id, MaxResults: 25, ...(pager.token ? { NextToken: pager.token } : {}) }, { signal }),
    [id, pager.token, tick],
  );
  const rows = list.data?.WindowExecutions ?? [];
  // A new execution means the window's next start has moved on: the page reads it again.
  const newest = useRef<string | null | undefined>(undefined);
  const first = list.data ? (rows[0]?.WindowExecutionId ?? null) : undefined;
  useEffect(() => {
    if (first === undefined || pager.page !== 1) return;
    if (newest.current !== undefined && newest.current !== first) onNew?.();
    newest.current = first;
  }, [first, pager.page, onNew]);
  const delay = pager.page === 1 && !list.loading ? executionsPollDelay(w, rows, Date.now()) : undefined;
  useEffect(() => {
    if (delay === undefined) return;
    const t = setTimeout(() => setTick((n) => n + 1), delay);
    return () => clearTimeout(t);
  }, [delay, list.data]);
  const live = delay !== undefined && delay < 10_000;

  return (
    <section className="panel" aria-labelledby="h-mw-executions">
      <div className="panel-head">
        <h2 id="h-mw-executions">Executions</h2>
        {live ? (
          <span className="muted small" data-testid="mw-executions-following">
            <span className="pulse" aria-hidden="true" /> following live
          </span>
        ) : null}
      </div>
      {list.loading && !list.data ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && rows.length === 0 ? <Empty>It has not opened yet.</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="mw-executions">
            <thead>
              <tr>
                <th scope="col">Execution</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.WindowExecutionId} data-testid="mw-execution-row" data-execution-id={e.WindowExecutionId} data-status={e.Status}>
                  <td>
                    <Link to={`/maintenance-windows/${id}/executions/${e.WindowExecutionId}`} className="mono" data-testid="mw-execution-link">
                      {e.WindowExecutionId}
                    </Link>
                  </td>
                  <td>
                    <span aria-live={isRunning(e.Status) ? 'polite' : undefined}>
                      <StatusBadge status={e.Status} />
                    </span>
                    {e.StatusDetails ? <div className="muted small">{e.StatusDetails}</div> : null}
                  </td>
                  <td>{formatTime(e.StartTime)}</td>
                  <td>
                    {formatTime(e.EndTime)}
                    {e.StartTime && e.EndTime ? <span className="muted small"> ({duration(e.StartTime, e.EndTime)})</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={pager.page} nextToken={list.data?.NextToken} onNext={pager.next} onPrev={pager.prev} busy={list.loading} />
    </section>
  );
}
