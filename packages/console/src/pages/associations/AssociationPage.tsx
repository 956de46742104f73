import { useState } from 'react';
import { allPages, ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { AssociationDescription, AssociationExecution, AssociationExecutionTarget, AssociationVersionInfo } from '../../api/types';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate } from '../../router/router';
import { ValueMap } from '../automation/ValueMap';
import { associationLabel, documentLabel, formatCounts, isRunning, newestFirst, parseResourceCounts, targetsSummary } from './associations';
import { RunNow } from './RunNow';
import { NODE_LIMIT, useAssociation } from './useAssociation';

export function AssociationPage({ id }: { id: string }) {
  const { state, error, following, tick, refresh, kick, halt } = useAssociation(id);
  const a = state?.association;
  const label = a ? associationLabel(a) : id;

  const [deleting, setDeleting] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [deleteError, setDeleteError] = useState<unknown>();
  const remove = async () => {
    setDeleting('busy');
    setDeleteError(undefined);
    halt();
    try {
      await ssm('DeleteAssociation', { AssociationId: id });
      navigate('/state-manager');
    } catch (e) {
      setDeleteError(e);
      setDeleting('idle');
    }
  };

  return (
    <Page
      title={label}
      heading={a?.AssociationName ? <span className="break">{a.AssociationName}</span> : <span className="mono break">{id}</span>}
      testId="association-page"
      actions={
        <>
          <Link to="/state-manager" className="button">
            All associations
          </Link>
          <button type="button" className="button" onClick={refresh} data-testid="assoc-page-refresh">
            Refresh
          </button>
          {a ? <RunNow associationId={id} label={label} onStarted={kick} testId="assoc-run-now" className="button button-primary" /> : null}
          {a ? (
            deleting === 'idle' ? (
              <button type="button" className="button button-danger" onClick={() => setDeleting('confirm')} data-testid="assoc-delete">
                Delete
              </button>
            ) : (
              <span className="confirm" role="group" aria-label="Confirm deletion">
                Delete this association? Nodes keep what it did; it stops running.{' '}
                <button type="button" className="button button-danger" onClick={() => void remove()} disabled={deleting === 'busy'} data-testid="assoc-delete-confirm">
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
      {deleteError !== undefined ? <ErrorBox error={deleteError} title="The association was not deleted" testId="assoc-delete-error" /> : null}
      {!state && !error ? <Loading /> : null}
      {error ? (
        error.fatal ? (
          <ErrorBox error={error.error} retry={refresh} testId="assoc-load-error" />
        ) : (
          <p className="callout callout-warn" role="alert" data-testid="assoc-load-error">
            Connection trouble, retrying: <code>{describeError(error.error).code}</code> {describeError(error.error).message}
          </p>
        )
      ) : null}
      {state && a ? (
        <>
          <section className="panel" aria-labelledby="h-assoc">
            <div className="live-head">
              <h2 id="h-assoc">Association</h2>
              <span aria-live="polite">
                <StatusBadge status={a.Overview?.Status ?? 'Pending'} testId="assoc-status" />
                {a.Overview?.DetailedStatus && a.Overview.DetailedStatus !== a.Overview.Status ? (
                  <span className="muted small" data-testid="assoc-detailed-status">
                    {' '}
                    {a.Overview.DetailedStatus}
                  </span>
                ) : null}
              </span>
              {formatCounts(a.Overview?.AssociationStatusAggregatedCount) ? (
                <span className="small" data-testid="assoc-counts">
                  {formatCounts(a.Overview?.AssociationStatusAggregatedCount)}
                </span>
              ) : null}
              {following ? (
                <span className="muted small" data-testid="assoc-following">
                  <span className="pulse" aria-hidden="true" /> following live
                </span>
              ) : (
                <span className="muted small" data-testid="assoc-done">
                  up to date
                </span>
              )}
            </div>
            {a.Status?.Message && a.Status.Name === 'Failed' ? <p className="callout callout-warn">{a.Status.Message}</p> : null}
            <AssociationFacts a={a} />
          </section>

          <section className="panel" aria-labelledby="h-assoc-params">
            <h2 id="h-assoc-params">Parameters</h2>
            <ValueMap values={a.Parameters} empty="No parameters: the document's defaults apply." testId="assoc-parameters" />
          </section>

          <section className="panel" aria-labelledby="h-assoc-nodes">
            <div className="panel-head">
              <h2 id="h-assoc-nodes">Status per node</h2>
              {state.executions[0] ? (
                <span className="muted small">
                  as of the latest run, <span className="mono">{state.executions[0].ExecutionId}</span> ({ago(state.executions[0].CreatedTime)})
                </span>
              ) : null}
            </div>
            {state.executions.length === 0 ? (
              <Empty>{a.ApplyOnlyAtCronInterval ? 'It has not run yet; it runs at the next scheduled time.' : 'It has not run yet.'}</Empty>
            ) : (
              <TargetsTable rows={state.latestTargets} testId="assoc-nodes" rowTestId="assoc-node-row" empty="The latest run reached no node." limited={state.latestTargets.length >= NODE_LIMIT} />
            )}
          </section>

          <Executions id={id} first={state.executions} firstNextToken={state.executionsNextToken} tick={tick} />

          <Versions id={id} current={a.AssociationVersion} />
        </>
      ) : null}
    </Page>
  );
}

function AssociationFacts({ a }: { a: AssociationDescription }) {
  return (
    <dl className="facts" data-testid="assoc-info">
      <dt>Association ID</dt>
      <dd className="mono">{a.AssociationId}</dd>
      <dt>Name</dt>
      <dd>{a.AssociationName || '—'}</dd>
      <dt>Document</dt>
      <dd data-testid="assoc-detail-document">
        {a.Name ? <Link to={`/documents/view/${encodeURIComponent(a.Name)}`}>{a.Name}</Link> : '—'}
        <span className="muted"> {a.DocumentVersion && a.DocumentVersion !== '$DEFAULT' ? `version ${a.DocumentVersion}` : 'default version'}</span>
      </dd>
      <dt>Association version</dt>
      <dd data-testid="assoc-detail-version">{a.AssociationVersion ?? '—'}</dd>
      <dt>Targets</dt>
      <dd className="break" data-testid="assoc-detail-targets">
        {targetsSummary(a)}
      </dd>
      <dt>Schedule</dt>
      <dd data-testid="assoc-detail-schedule">
        {a.ScheduleExpression ? <code>{a.ScheduleExpression}</code> : <span className="muted">none: it ran once, when created</span>}
        {a.ScheduleOffset ? <span className="muted"> and {a.ScheduleOffset} days later</span> : null}
      </dd>
      <dt>When it runs</dt>
      <dd data-testid="assoc-detail-apply-only-at-cron">{a.ApplyOnlyAtCronInterval ? 'Only at the scheduled times' : 'When created or changed, then on schedule'}</dd>
      <dt>Concurrency</dt>
      <dd>{a.MaxConcurrency ?? '—'}</dd>
      <dt>Error threshold</dt>
      <dd>{a.MaxErrors ?? '—'}</dd>
      {a.Duration ? (
        <>
          <dt>Duration</dt>
          <dd>{a.Duration} h</dd>
        </>
      ) : null}
      <dt>Compliance severity</dt>
      <dd>
        {a.ComplianceSeverity ?? 'UNSPECIFIED'}
        {a.SyncCompliance ? <span className="muted"> ({a.SyncCompliance} compliance)</span> : null}
      </dd>
      <dt>Change calendars</dt>
      <dd className="break">{a.CalendarNames?.length ? a.CalendarNames.join(', ') : '—'}</dd>
      <dt>Created</dt>
      <dd>{formatTime(a.Date)}</dd>
      <dt>Last changed</dt>
      <dd>{formatTime(a.LastUpdateAssociationDate)}</dd>
      <dt>Last run</dt>
      <dd title={formatTime(a.LastExecutionDate)}>{a.LastExecutionDate ? ago(a.LastExecutionDate) : '—'}</dd>
      <dt>Last success</dt>
      <dd title={formatTime(a.LastSuccessfulExecutionDate)}>{a.LastSuccessfulExecutionDate ? ago(a.LastSuccessfulExecutionDate) : '—'}</dd>
    </dl>
  );
}

/** Where a target's output is: Run Command's invocations have a page in the console. */
function OutputLink({ t }: { t: AssociationExecutionTarget }) {
  const src = t.OutputSource;
  if (!src?.OutputSourceId) return <>—</>;
  if (!src.OutputSourceType || src.OutputSourceType === 'RunCommand') {
    return (
      <Link to={`/run-command/commands/${encodeURIComponent(src.OutputSourceId)}`} className="mono" data-testid="assoc-target-output" title="The Run Command invocation">
        {src.OutputSourceId}
      </Link>
    );
  }
  return (
    <span className="mono" title={src.OutputSourceType}>
      {src.OutputSourceId}
    </span>
  );
}

function TargetsTable({ rows, testId, rowTestId, empty, limited }: { rows: AssociationExecutionTarget[]; testId: string; rowTestId: string; empty: string; limited?: boolean }) {
  if (!rows.length) return <Empty>{empty}</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Status</th>
            <th scope="col">Detailed status</th>
            <th scope="col">Ran</th>
            <th scope="col">Output</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={`${t.ResourceType ?? ''}/${t.ResourceId ?? ''}`} data-testid={rowTestId} data-resource-id={t.ResourceId} data-status={t.Status}>
              <td>
                {t.ResourceId && (!t.ResourceType || t.ResourceType === 'ManagedInstance') ? (
                  <Link to={`/nodes/${encodeURIComponent(t.ResourceId)}`} className="mono" data-testid="assoc-node-link">
                    {t.ResourceId}
                  </Link>
                ) : (
                  <span className="mono">{t.ResourceId ?? '—'}</span>
                )}
              </td>
              <td>
                <StatusBadge status={t.Status} />
              </td>
              <td>{t.DetailedStatus ?? '—'}</td>
              <td title={formatTime(t.LastExecutionDate)}>{t.LastExecutionDate ? ago(t.LastExecutionDate) : '—'}</td>
              <td>
                <OutputLink t={t} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {limited ? <p className="hint">Showing the first {rows.length} nodes.</p> : null}
    </div>
  );
}

/** The execution history, newest first; the first page comes from the page's live answer, older ones when asked. */
function Executions({ id, first, firstNextToken, tick }: { id: string; first: AssociationExecution[]; firstNextToken: string | undefined; tick: number }) {
  const pager = usePager();
  const older = useAsync(
    async (signal) => {
      if (!pager.token) return undefined;
      const r = await ssm<{ AssociationExecutions?: AssociationExecution[]; NextToken?: string }>('DescribeAssociationExecutions', { AssociationId: id, MaxResults: 50, NextToken: pager.token }, { signal });
      return { rows: newestFirst(r.AssociationExecutions ?? []), next: r.NextToken || undefined };
    },
    [id, pager.token],
  );
  const onFirst = pager.page === 1;
  const rows = onFirst ? first : (older.data?.rows ?? []);
  const next = onFirst ? firstNextToken : older.data?.next;
  const [chosen, setChosen] = useState<string>();
  const chosenRow = [...first, ...(older.data?.rows ?? [])].find((e) => e.ExecutionId === chosen);

  return (
    <>
      <section className="panel" aria-labelledby="h-assoc-history">
        <h2 id="h-assoc-history">Execution history</h2>
        {!onFirst && older.loading ? <Loading /> : null}
        {!onFirst && older.error !== undefined ? <ErrorBox error={older.error} retry={older.reload} /> : null}
        {onFirst && rows.length === 0 ? <Empty>No execution yet.</Empty> : null}
        {rows.length ? (
          <div className="table-wrap">
            <table className="table" data-testid="assoc-executions">
              <thead>
                <tr>
                  <th scope="col">Execution</th>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Detailed status</th>
                  <th scope="col">Nodes</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Targets</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.ExecutionId} data-testid="assoc-execution-row" data-execution-id={e.ExecutionId} data-status={e.Status}>
                    <td className="mono">{e.ExecutionId}</td>
                    <td>{e.AssociationVersion ?? '—'}</td>
                    <td>
                      <StatusBadge status={e.Status} />
                    </td>
                    <td>{e.DetailedStatus ?? '—'}</td>
                    <td data-testid="assoc-execution-counts">{formatCounts(parseResourceCounts(e.ResourceCountByStatus)) || '—'}</td>
                    <td title={formatTime(e.CreatedTime)}>{ago(e.CreatedTime)}</td>
                    <td>
                      <button
                        type="button"
                        className="button button-small"
                        aria-pressed={chosen === e.ExecutionId}
                        onClick={() => setChosen((c) => (c === e.ExecutionId ? undefined : e.ExecutionId))}
                        aria-label={`Targets of execution ${e.ExecutionId}`}
                        data-testid="assoc-execution-select"
                      >
                        Targets
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <Pager page={pager.page} nextToken={next} onNext={pager.next} onPrev={pager.prev} busy={!onFirst && older.loading} />
      </section>
      {chosen ? <ExecutionTargets id={id} executionId={chosen} running={isRunning(chosenRow?.Status)} tick={tick} onClose={() => setChosen(undefined)} /> : null}
    </>
  );
}

/** One execution's targets; asked again with each of the page's answers while that execution runs. */
function ExecutionTargets({ id, executionId, running, tick, onClose }: { id: string; executionId: string; running: boolean; tick: number; onClose: () => void }) {
  const targets = useAsync(
    (signal) =>
      allPages<{ AssociationExecutionTargets?: AssociationExecutionTarget[]; NextToken?: string }, AssociationExecutionTarget>(
        'DescribeAssociationExecutionTargets',
        { AssociationId: id, ExecutionId: executionId, MaxResults: 50 },
        (p) => p.AssociationExecutionTargets,
        { signal, limit: NODE_LIMIT },
      ),
    [id, executionId, running ? tick : 0, running],
  );
  return (
    <section className="panel" aria-labelledby="h-assoc-exec-targets" data-testid="assoc-exec-targets" data-execution-id={executionId}>
      <div className="panel-head">
        <h2 id="h-assoc-exec-targets">
          Targets of <span className="mono">{executionId}</span>
        </h2>
        <button type="button" className="button button-quiet" onClick={onClose}>
          Close
        </button>
      </div>
      {targets.loading && !targets.data ? <Loading /> : null}
      {targets.error !== undefined ? <ErrorBox error={targets.error} retry={targets.reload} /> : null}
      {targets.data ? <TargetsTable rows={targets.data} testId="assoc-exec-targets-table" rowTestId="assoc-target-row" empty="This execution reached no node." limited={targets.data.length >= NODE_LIMIT} /> : null}
    </section>
  );
}

function rateText(concurrency: string | undefined, errors: string | undefined): string {
  const parts = [concurrency ? `${concurrency} at a time` : '', errors ? `stop after ${errors} errors` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : '—';
}

function Versions({ id, current }: { id: string; current: string | undefined }) {
  const versions = useAsync(
    async (signal) => {
      const all = await allPages<{ AssociationVersions?: AssociationVersionInfo[]; NextToken?: string }, AssociationVersionInfo>('ListAssociationVersions', { AssociationId: id, MaxResults: 50 }, (p) => p.AssociationVersions, { signal, limit: 1000 });
      return all.sort((x, y) => Number(y.AssociationVersion ?? 0) - Number(x.AssociationVersion ?? 0));
    },
    [id, current],
  );
  return (
    <section className="panel" aria-labelledby="h-assoc-versions">
      <h2 id="h-assoc-versions">Versions</h2>
      {versions.loading && !versions.data ? <Loading /> : null}
      {versions.error !== undefined ? <ErrorBox error={versions.error} retry={versions.reload} /> : null}
      {versions.data && versions.data.length === 0 ? <Empty>No versions.</Empty> : null}
      {versions.data?.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="assoc-versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Created</th>
                <th scope="col">Name</th>
                <th scope="col">Document</th>
                <th scope="col">Targets</th>
                <th scope="col">Schedule</th>
                <th scope="col">Rate</th>
              </tr>
            </thead>
            <tbody>
              {versions.data.map((v) => (
                <tr key={v.AssociationVersion} data-testid="assoc-version-row" data-version={v.AssociationVersion}>
                  <td>
                    {v.AssociationVersion}
                    {v.AssociationVersion === current ? <span className="muted small"> (current)</span> : null}
                  </td>
                  <td>{formatTime(v.CreatedDate)}</td>
                  <td>{v.AssociationName || '—'}</td>
                  <td>{documentLabel(v.Name, v.DocumentVersion)}</td>
                  <td className="break">{targetsSummary(v)}</td>
                  <td className="mono small">{v.ScheduleExpression ?? '—'}</td>
                  <td className="small">{rateText(v.MaxConcurrency, v.MaxErrors)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
