import { useEffect, useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import type { AutomationExecutionMetadata } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { shortArn } from './format';
import { isTerminal } from './graph';

/** AWS's AutomationExecutionStatus values a filter can ask for; the rest belong to Change Manager. */
export const EXECUTION_STATUSES = ['Pending', 'InProgress', 'Waiting', 'Success', 'TimedOut', 'Cancelling', 'Cancelled', 'Failed', 'CompletedWithSuccess', 'CompletedWithFailure', 'Exited'];

export function AutomationPage() {
  const [query, setQuery] = useQuery();
  const status = query.get('status') ?? '';
  const prefix = query.get('document') ?? '';
  const pager = usePager();
  const [draftDoc, setDraftDoc] = useState(prefix);

  const filters = [...(status ? [{ Key: 'ExecutionStatus', Values: [status] }] : []), ...(prefix ? [{ Key: 'DocumentNamePrefix', Values: [prefix] }] : [])];
  const list = useAsync(
    (signal) =>
      ssm<{ AutomationExecutionMetadataList?: AutomationExecutionMetadata[]; NextToken?: string }>(
        'DescribeAutomationExecutions',
        { MaxResults: 25, ...(filters.length ? { Filters: filters } : {}), ...(pager.token ? { NextToken: pager.token } : {}) },
        { signal },
      ),
    [status, prefix, pager.token],
  );
  const rows = list.data?.AutomationExecutionMetadataList ?? [];
  // While something listed is still running, the list keeps itself current.
  const running = rows.some((r) => !isTerminal(r.AutomationExecutionStatus));
  const reload = list.reload;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, 5000);
    return () => clearInterval(timer);
  }, [running, reload]);

  const change = (c: Record<string, string>) => {
    pager.reset();
    setQuery(c);
  };
  const applyDoc = (e: FormEvent) => {
    e.preventDefault();
    change({ document: draftDoc.trim() });
  };

  return (
    <Page
      title="Automation"
      testId="automation-page"
      actions={
        <>
          <button type="button" className="button" onClick={list.reload} disabled={list.loading} data-testid="auto-refresh">
            Refresh
          </button>
          <Link to="/automation/start" className="button button-primary" data-testid="auto-start">
            Start automation
          </Link>
        </>
      }
    >
      <form className="filters" onSubmit={applyDoc} aria-label="Filter executions">
        <Field label="Status">
          {(ids) => (
            <select {...ids} value={status} onChange={(e) => change({ status: e.target.value })} data-testid="auto-filter-status">
              <option value="">Any</option>
              {EXECUTION_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Runbook name starts with">
          {(ids) => (
            <input
              {...ids}
              value={draftDoc}
              placeholder="AWS-"
              onChange={(e) => setDraftDoc(e.target.value)}
              onBlur={() => draftDoc.trim() !== prefix && change({ document: draftDoc.trim() })}
              data-testid="auto-filter-document"
            />
          )}
        </Field>
        <button type="submit" className="button">
          Apply
        </button>
      </form>
      {list.loading && !list.data ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && rows.length === 0 ? <Empty>{status || prefix ? 'No execution matches.' : 'No automation has run in this region yet.'}</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="auto-table">
            <thead>
              <tr>
                <th scope="col">Execution</th>
                <th scope="col">Runbook</th>
                <th scope="col">Status</th>
                <th scope="col">Current step</th>
                <th scope="col">Mode</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Executed by</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((x) => (
                <tr key={x.AutomationExecutionId} data-testid="auto-row" data-execution-id={x.AutomationExecutionId} data-status={x.AutomationExecutionStatus}>
                  <td>
                    <Link to={`/automation/executions/${x.AutomationExecutionId}`} className="mono" data-testid="auto-link">
                      {x.AutomationExecutionId}
                    </Link>
                    {x.ParentAutomationExecutionId ? <div className="muted small">child of {x.ParentAutomationExecutionId.slice(0, 8)}…</div> : null}
                  </td>
                  <td>
                    {x.DocumentName}
                    {x.DocumentVersion ? <span className="muted"> v{x.DocumentVersion}</span> : null}
                  </td>
                  <td>
                    <StatusBadge status={x.AutomationExecutionStatus} />
                  </td>
                  <td className="truncate">
                    {x.CurrentStepName ?? '—'}
                    {x.CurrentAction ? <div className="muted small mono">{x.CurrentAction}</div> : null}
                  </td>
                  <td>{x.Mode ?? 'Auto'}</td>
                  <td title={formatTime(x.ExecutionStartTime)}>{ago(x.ExecutionStartTime)}</td>
                  <td>{formatTime(x.ExecutionEndTime)}</td>
                  <td className="truncate" title={x.ExecutedBy}>
                    {shortArn(x.ExecutedBy)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={pager.page} nextToken={list.data?.NextToken} onNext={pager.next} onPrev={pager.prev} busy={list.loading} />
    </Page>
  );
}
