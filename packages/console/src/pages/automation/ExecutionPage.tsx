import { useEffect, useMemo, useState } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { AutomationExecution, AutomationExecutionMetadata, GetDocumentResult } from '../../api/types';
import { Page } from '../../components/Page';
import { ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { duration, shortArn } from './format';
import { isTerminal, layoutGraph, stepDefinitions, waitingFor } from './graph';
import { SignalPanel } from './SignalPanel';
import { StepDetail } from './StepDetail';
import { StepGraphView } from './StepGraphView';
import { useExecution } from './useExecution';
import { ValueMap } from './ValueMap';

export function ExecutionPage({ id }: { id: string }) {
  const { execution: exec, error, following, refresh } = useExecution(id);
  const status = exec?.AutomationExecutionStatus;
  const terminal = isTerminal(status);

  const definition = useAsync(
    async (signal) => {
      if (!exec?.DocumentName) return undefined;
      const r = await ssm<GetDocumentResult>('GetDocument', { Name: exec.DocumentName, DocumentFormat: 'JSON', ...(exec.DocumentVersion ? { DocumentVersion: exec.DocumentVersion } : {}) }, { signal });
      return stepDefinitions(r.Content);
    },
    [exec?.DocumentName, exec?.DocumentVersion],
  );

  const graph = useMemo(
    () => layoutGraph(definition.data ?? [], exec?.StepExecutions ?? [], { currentStep: exec?.CurrentStepName, terminal }),
    [definition.data, exec?.StepExecutions, exec?.CurrentStepName, terminal],
  );
  const waiting = waitingFor(exec, graph);

  // Until someone picks a step: the one waiting or running, else the one that failed, else the last that ran.
  const [picked, setPicked] = useState<string>();
  const fallback =
    graph.nodes.find((n) => n.current)?.name ??
    graph.nodes.find((n) => n.status === 'Failed' || n.status === 'TimedOut')?.name ??
    [...graph.nodes].reverse().find((n) => n.ran)?.name ??
    graph.nodes[0]?.name;
  const selected = picked && graph.nodes.some((n) => n.name === picked) ? picked : fallback;
  const node = graph.nodes.find((n) => n.name === selected);

  const rateControlled = !!exec && !!(exec.Targets?.length || exec.TargetMaps?.length || exec.TargetParameterName || exec.MaxConcurrency);
  const children = useAsync(
    async (signal) => {
      if (!rateControlled) return [];
      const r = await ssm<{ AutomationExecutionMetadataList?: AutomationExecutionMetadata[] }>('DescribeAutomationExecutions', { Filters: [{ Key: 'ParentExecutionId', Values: [id] }], MaxResults: 50 }, { signal });
      return r.AutomationExecutionMetadataList ?? [];
    },
    [id, rateControlled, status, exec?.ProgressCounters?.SuccessSteps, exec?.ProgressCounters?.FailedSteps],
  );

  const [stopping, setStopping] = useState<'idle' | 'confirm' | 'busy' | 'sent'>('idle');
  const [stopError, setStopError] = useState<unknown>();
  useEffect(() => {
    if (terminal) setStopping('idle');
  }, [terminal]);
  const stop = async () => {
    setStopping('busy');
    setStopError(undefined);
    try {
      await ssm('StopAutomationExecution', { AutomationExecutionId: id, Type: 'Cancel' });
      setStopping('sent');
      refresh();
    } catch (e) {
      setStopError(e);
      setStopping('idle');
    }
  };

  return (
    <Page
      title={`Automation ${id.slice(0, 8)}`}
      heading={
        <>
          Execution <span className="mono break">{id}</span>
        </>
      }
      testId="automation-execution-page"
      actions={
        <>
          <Link to="/automation" className="button">
            Executions
          </Link>
          {exec?.DocumentName ? (
            <Link to={withQuery('/automation/start', { document: exec.DocumentName })} className="button">
              Start again
            </Link>
          ) : null}
          {exec && !terminal ? (
            stopping === 'confirm' || stopping === 'busy' ? (
              <span className="confirm" role="group" aria-label="Confirm stopping">
                Cancel this execution?{' '}
                <button type="button" className="button button-danger" onClick={() => void stop()} disabled={stopping === 'busy'} data-testid="auto-stop-confirm">
                  {stopping === 'busy' ? 'Stopping…' : 'Yes, stop it'}
                </button>{' '}
                <button type="button" className="button" onClick={() => setStopping('idle')}>
                  Keep running
                </button>
              </span>
            ) : (
              <button type="button" className="button button-danger" onClick={() => setStopping('confirm')} disabled={stopping === 'sent' || status === 'Cancelling'} data-testid="auto-stop">
                {stopping === 'sent' || status === 'Cancelling' ? 'Stop requested' : 'Stop'}
              </button>
            )
          ) : null}
        </>
      }
    >
      {stopError !== undefined ? <ErrorBox error={stopError} title="The execution was not stopped" testId="auto-stop-error" /> : null}
      {!exec && !error ? <Loading /> : null}
      {error ? (
        error.fatal ? (
          <ErrorBox error={error.error} retry={refresh} testId="auto-error" />
        ) : (
          <p className="callout callout-warn" role="alert" data-testid="auto-error">
            Connection trouble, retrying: <code>{describeError(error.error).code}</code> {describeError(error.error).message}
          </p>
        )
      ) : null}
      {exec ? (
        <>
          <section className="panel" aria-labelledby="h-exec">
            <div className="live-head">
              <h2 id="h-exec">Execution</h2>
              <span aria-live="polite">
                <StatusBadge status={status ?? 'Pending'} testId="auto-status" />
              </span>
              {following ? (
                <span className="muted small" data-testid="auto-following">
                  <span className="pulse" aria-hidden="true" /> following live
                </span>
              ) : (
                <span className="muted small" data-testid="auto-done">
                  {terminal ? 'finished' : 'not following'}
                </span>
              )}
            </div>
            {exec.FailureMessage ? (
              <div className="error-box" data-testid="auto-failure">
                <p>
                  <strong>{status === 'Cancelled' ? 'Cancelled' : 'Failed'}</strong>
                </p>
                <p className="error-message pre-line">{exec.FailureMessage}</p>
              </div>
            ) : null}
            {exec.WarningMessage ? <p className="callout callout-warn">{exec.WarningMessage}</p> : null}
            <ExecutionFacts exec={exec} />
          </section>

          <SignalPanel id={id} exec={exec} waiting={waiting} onSent={refresh} />

          <div className="grid two automation-layout">
            <section className="panel" aria-labelledby="h-steps">
              <div className="panel-head">
                <h2 id="h-steps">Steps</h2>
                {exec.ProgressCounters?.TotalSteps ? (
                  <span className="muted small">
                    {exec.ProgressCounters.SuccessSteps ?? 0}/{exec.ProgressCounters.TotalSteps} succeeded
                    {exec.ProgressCounters.FailedSteps ? `, ${exec.ProgressCounters.FailedSteps} failed` : ''}
                  </span>
                ) : null}
              </div>
              {definition.error !== undefined ? <p className="hint">The runbook could not be read ({describeError(definition.error).message}); showing the steps that ran.</p> : null}
              {graph.nodes.length ? <StepGraphView graph={graph} selected={selected} onSelect={setPicked} /> : <p className="empty">{terminal ? 'No step ran.' : 'Waiting for the first step…'}</p>}
            </section>
            <section className="panel step-detail-panel" aria-labelledby="h-step">
              <h2 id="h-step">{node ? <>Step <span className="mono">{node.name}</span></> : 'Step'}</h2>
              {node ? <StepDetail node={node} /> : <p className="empty">Choose a step to see its inputs and outputs.</p>}
            </section>
          </div>

          <div className="grid two">
            <section className="panel" aria-labelledby="h-exec-params">
              <h2 id="h-exec-params">Input parameters</h2>
              <ValueMap values={exec.Parameters} empty="No parameters." testId="auto-parameters" />
            </section>
            <section className="panel" aria-labelledby="h-exec-outputs">
              <h2 id="h-exec-outputs">Outputs</h2>
              <ValueMap values={exec.Outputs} empty={terminal ? 'No outputs.' : 'Outputs appear as the steps that produce them finish.'} testId="auto-outputs" />
            </section>
          </div>

          {rateControlled ? (
            <section className="panel" aria-labelledby="h-children">
              <h2 id="h-children">Child executions</h2>
              {children.error !== undefined ? <ErrorBox error={children.error} retry={children.reload} /> : null}
              {children.loading && !children.data ? <Loading /> : null}
              {children.data && children.data.length === 0 ? <p className="empty">No child execution yet.</p> : null}
              {children.data?.length ? (
                <div className="table-wrap">
                  <table className="table" data-testid="auto-children">
                    <thead>
                      <tr>
                        <th scope="col">Execution</th>
                        <th scope="col">Target</th>
                        <th scope="col">Status</th>
                        <th scope="col">Started</th>
                        <th scope="col">Ended</th>
                      </tr>
                    </thead>
                    <tbody>
                      {children.data.map((c) => (
                        <tr key={c.AutomationExecutionId} data-testid="auto-child-row" data-execution-id={c.AutomationExecutionId}>
                          <td>
                            <Link to={`/automation/executions/${c.AutomationExecutionId}`} className="mono">
                              {c.AutomationExecutionId}
                            </Link>
                          </td>
                          <td className="truncate">{c.Target ?? '—'}</td>
                          <td>
                            <StatusBadge status={c.AutomationExecutionStatus} />
                          </td>
                          <td>{formatTime(c.ExecutionStartTime)}</td>
                          <td>{formatTime(c.ExecutionEndTime)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : null}
            </section>
          ) : null}
        </>
      ) : null}
    </Page>
  );
}

function ExecutionFacts({ exec }: { exec: AutomationExecution }) {
  return (
    <dl className="facts" data-testid="auto-info">
      <dt>Runbook</dt>
      <dd>
        {exec.DocumentName ? <Link to={withQuery(`/documents/view/${encodeURIComponent(exec.DocumentName)}`, { version: exec.DocumentVersion })}>{exec.DocumentName}</Link> : '—'}
        {exec.DocumentVersion ? <span className="muted"> version {exec.DocumentVersion}</span> : null}
      </dd>
      <dt>Mode</dt>
      <dd data-testid="auto-mode">{exec.Mode ?? 'Auto'}</dd>
      <dt>Executed by</dt>
      <dd className="break" title={exec.ExecutedBy} data-testid="auto-executed-by">
        {shortArn(exec.ExecutedBy)}
      </dd>
      <dt>Started</dt>
      <dd>{formatTime(exec.ExecutionStartTime)}</dd>
      <dt>Ended</dt>
      <dd>
        {formatTime(exec.ExecutionEndTime)}
        {exec.ExecutionStartTime ? <span className="muted"> ({duration(exec.ExecutionStartTime, exec.ExecutionEndTime)})</span> : null}
      </dd>
      {exec.CurrentStepName && !isTerminal(exec.AutomationExecutionStatus) ? (
        <>
          <dt>Current step</dt>
          <dd>
            <span className="mono">{exec.CurrentStepName}</span>
            {exec.CurrentAction ? <span className="muted"> ({exec.CurrentAction})</span> : null}
          </dd>
        </>
      ) : null}
      {exec.ParentAutomationExecutionId ? (
        <>
          <dt>Parent</dt>
          <dd>
            <Link to={`/automation/executions/${exec.ParentAutomationExecutionId}`} className="mono" data-testid="auto-parent">
              {exec.ParentAutomationExecutionId}
            </Link>
          </dd>
        </>
      ) : null}
      {exec.Target ? (
        <>
          <dt>Target</dt>
          <dd className="break">{exec.Target}</dd>
        </>
      ) : null}
      {exec.TargetParameterName || exec.Targets?.length ? (
        <>
          <dt>Targets</dt>
          <dd className="break">
            {exec.TargetParameterName ? (
              <>
                <span className="mono">{exec.TargetParameterName}</span> from{' '}
              </>
            ) : null}
            {(exec.Targets ?? []).map((t) => `${t.Key} = ${t.Values.join(', ')}`).join('; ') || '—'}
            {exec.ResolvedTargets?.ParameterValues?.length ? (
              <div className="muted small">
                resolved: {exec.ResolvedTargets.ParameterValues.slice(0, 10).join(', ')}
                {exec.ResolvedTargets.ParameterValues.length > 10 || exec.ResolvedTargets.Truncated ? ' …' : ''}
              </div>
            ) : null}
          </dd>
        </>
      ) : null}
      {exec.MaxConcurrency || exec.MaxErrors ? (
        <>
          <dt>Rate</dt>
          <dd>
            {exec.MaxConcurrency ?? '—'} at a time, stop after {exec.MaxErrors ?? '—'} errors
          </dd>
        </>
      ) : null}
    </dl>
  );
}
