import { useEffect, useState } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { MaintenanceWindow } from '../../api/types';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';
import { duration } from '../automation/format';
import { INVOCATION_LIMIT, useWindowExecution, type TaskWithInvocations } from './useWindowExecution';
import { invocationNode, invocationTarget, isRunning, windowLabel } from './windows';

/** One execution of a window: its status, its tasks in the order they ran, and each task's result on each node. */
export function WindowExecutionPage({ windowId, id }: { windowId: string; id: string }) {
  const { state, error, following, refresh } = useWindowExecution(id);
  const win = useAsync((signal) => ssm<MaintenanceWindow>('GetMaintenanceWindow', { WindowId: windowId }, { signal }), [windowId]);
  const e = state?.execution;
  const running = isRunning(e?.Status);

  const [cancelling, setCancelling] = useState<'idle' | 'confirm' | 'busy' | 'sent'>('idle');
  const [cancelError, setCancelError] = useState<unknown>();
  useEffect(() => {
    if (e && !running) setCancelling('idle');
  }, [e, running]);
  const cancel = async () => {
    setCancelling('busy');
    setCancelError(undefined);
    try {
      await ssm('CancelMaintenanceWindowExecution', { WindowExecutionId: id });
      setCancelling('sent');
      refresh();
    } catch (err) {
      setCancelError(err);
      setCancelling('idle');
    }
  };

  return (
    <Page
      title={`Window execution ${id.slice(0, 8)}`}
      heading={
        <>
          Execution <span className="mono break">{id}</span>
        </>
      }
      testId="window-execution-page"
      actions={
        <>
          <Link to={`/maintenance-windows/${windowId}`} className="button" data-testid="mwx-window">
            {win.data ? windowLabel(win.data) : 'The window'}
          </Link>
          {e && running ? (
            cancelling === 'confirm' || cancelling === 'busy' ? (
              <span className="confirm" role="group" aria-label="Confirm cancelling">
                Cancel this execution? Tasks not started will not start; running ones finish.{' '}
                <button type="button" className="button button-danger" onClick={() => void cancel()} disabled={cancelling === 'busy'} data-testid="mwx-cancel-confirm">
                  {cancelling === 'busy' ? 'Cancelling…' : 'Yes, cancel it'}
                </button>{' '}
                <button type="button" className="button" onClick={() => setCancelling('idle')}>
                  Keep running
                </button>
              </span>
            ) : (
              <button type="button" className="button button-danger" onClick={() => setCancelling('confirm')} disabled={cancelling === 'sent' || e.Status === 'CANCELLING'} data-testid="mwx-cancel">
                {cancelling === 'sent' || e.Status === 'CANCELLING' ? 'Cancel requested' : 'Cancel'}
              </button>
            )
          ) : null}
        </>
      }
    >
      {cancelError !== undefined ? <ErrorBox error={cancelError} title="The execution was not cancelled" testId="mwx-cancel-error" /> : null}
      {!state && !error ? <Loading /> : null}
      {error ? (
        error.fatal ? (
          <ErrorBox error={error.error} retry={refresh} testId="mwx-error" />
        ) : (
          <p className="callout callout-warn" role="alert" data-testid="mwx-error">
            Connection trouble, retrying: <code>{describeError(error.error).code}</code> {describeError(error.error).message}
          </p>
        )
      ) : null}
      {state && e ? (
        <>
          <section className="panel" aria-labelledby="h-mwx">
            <div className="live-head">
              <h2 id="h-mwx">Execution</h2>
              <span aria-live="polite">
                <StatusBadge status={e.Status} testId="mwx-status" />
              </span>
              {following ? (
                <span className="muted small" data-testid="mwx-following">
                  <span className="pulse" aria-hidden="true" /> following live
                </span>
              ) : (
                <span className="muted small" data-testid="mwx-done">
                  {running ? 'not following' : 'finished'}
                </span>
              )}
            </div>
            {e.StatusDetails ? (
              <p className={`callout${e.Status === 'FAILED' || e.Status === 'TIMED_OUT' ? ' callout-warn' : ''}`} data-testid="mwx-details">
                {e.StatusDetails}
              </p>
            ) : null}
            <dl className="facts" data-testid="mwx-info">
              <dt>Window</dt>
              <dd>
                <Link to={`/maintenance-windows/${windowId}`}>{win.data ? windowLabel(win.data) : windowId}</Link>
                {win.data?.Schedule ? <span className="muted"> ({win.data.Schedule})</span> : null}
              </dd>
              <dt>Started</dt>
              <dd>{formatTime(e.StartTime)}</dd>
              <dt>Ended</dt>
              <dd>
                {formatTime(e.EndTime)}
                {e.StartTime ? <span className="muted"> ({duration(e.StartTime, e.EndTime)})</span> : null}
              </dd>
              <dt>Tasks</dt>
              <dd>{state.tasks.length}</dd>
            </dl>
          </section>

          <section className="panel" aria-labelledby="h-mwx-tasks">
            <h2 id="h-mwx-tasks">Tasks</h2>
            {state.tasks.length === 0 ? (
              <Empty>{running ? 'No task has started yet.' : 'This execution ran no task.'}</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="mwx-tasks">
                  <thead>
                    <tr>
                      <th scope="col">Priority</th>
                      <th scope="col">Task</th>
                      <th scope="col">Type</th>
                      <th scope="col">Status</th>
                      <th scope="col">Started</th>
                      <th scope="col">Ended</th>
                    </tr>
                  </thead>
                  <tbody>
                    {state.tasks.map(({ task: t, priority }) => (
                      <tr key={t.TaskExecutionId} data-testid="mwx-task-row" data-task-execution-id={t.TaskExecutionId} data-status={t.Status}>
                        <td>{priority ?? '—'}</td>
                        <td>
                          <a href={`#task-${t.TaskExecutionId}`}>{t.TaskArn ?? t.TaskExecutionId}</a>
                          <div className="muted small mono">{t.TaskExecutionId}</div>
                        </td>
                        <td>{t.TaskType ?? '—'}</td>
                        <td>
                          <StatusBadge status={t.Status} />
                          {t.StatusDetails ? <div className="muted small">{t.StatusDetails}</div> : null}
                        </td>
                        <td>{formatTime(t.StartTime)}</td>
                        <td>
                          {formatTime(t.EndTime)}
                          {t.StartTime && t.EndTime ? <span className="muted small"> ({duration(t.StartTime, t.EndTime)})</span> : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          {state.tasks.map((t, i) => (
            <TaskInvocations key={t.task.TaskExecutionId} t={t} n={i + 1} />
          ))}
        </>
      ) : null}
    </Page>
  );
}

/** One task's invocations: a row per node with its status, what it said, and a link to the command or automation it started. */
function TaskInvocations({ t, n }: { t: TaskWithInvocations; n: number }) {
  const { task, invocations, priority } = t;
  const headId = `h-task-${task.TaskExecutionId}`;
  return (
    <section className="panel" aria-labelledby={headId} id={`task-${task.TaskExecutionId}`} data-testid="mwx-invocations" data-task-execution-id={task.TaskExecutionId}>
      <h2 id={headId}>
        Task {n}
        {priority !== undefined ? <span className="muted"> (priority {priority})</span> : null} on each node: <span className="mono">{task.TaskArn ?? task.TaskExecutionId}</span>
      </h2>
      {invocations.length === 0 ? (
        <Empty>{isRunning(task.Status) ? 'No node has started yet.' : task.StartTime ? 'It ran on no node.' : 'It did not start.'}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Status</th>
                <th scope="col">Details</th>
                <th scope="col">Ran</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {invocations.map((inv) => {
                const node = invocationNode(inv);
                const target = invocationTarget(inv);
                return (
                  <tr key={inv.InvocationId} data-testid="mwx-invocation-row" data-invocation-id={inv.InvocationId} data-node={node ?? ''} data-status={inv.Status}>
                    <td>
                      {node ? (
                        <Link to={`/nodes/${encodeURIComponent(node)}`} className="mono" data-testid="mwx-node-link">
                          {node}
                        </Link>
                      ) : (
                        <span className="muted">no node</span>
                      )}
                      {inv.OwnerInformation ? <div className="muted small">{inv.OwnerInformation}</div> : null}
                    </td>
                    <td>
                      <StatusBadge status={inv.Status} />
                    </td>
                    <td className="break">{inv.StatusDetails || '—'}</td>
                    <td>
                      {formatTime(inv.StartTime)}
                      {inv.StartTime ? <span className="muted small"> ({duration(inv.StartTime, inv.EndTime)})</span> : null}
                    </td>
                    <td>
                      {target ? (
                        <Link to={target} className="mono" data-testid="mwx-invocation-link" title={inv.TaskType === 'RUN_COMMAND' ? 'The Run Command command and its output' : 'The automation execution'}>
                          {inv.ExecutionId}
                        </Link>
                      ) : (
                        <span className="mono">{inv.ExecutionId || '—'}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {invocations.length >= INVOCATION_LIMIT ? <p className="hint">Showing the first {INVOCATION_LIMIT} nodes.</p> : null}
        </div>
      )}
    </section>
  );
}
