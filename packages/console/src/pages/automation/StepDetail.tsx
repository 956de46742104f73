import { StatusBadge } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { duration } from './format';
import type { GraphNode } from './graph';
import { STATUS_LABEL } from './StepGraphView';
import { ValueMap } from './ValueMap';

const KIND: Record<string, string> = { next: 'next', branch: 'branch choice', default: 'branch default', failure: 'on failure', cancel: 'on cancel', ran: 'ran next' };

/** One step: what it was given, what it gave back, and why it failed. */
export function StepDetail({ node }: { node: GraphNode }) {
  const run = node.execution;
  const d = node.definition;
  return (
    <div data-testid="auto-step-detail" data-step={node.name} data-status={node.status}>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={STATUS_LABEL[node.status] ?? node.status} testId="auto-step-detail-status" />
          {node.runs > 1 ? <span className="muted small"> ({node.runs} runs; the latest shown)</span> : null}
        </dd>
        <dt>Action</dt>
        <dd className="mono">{node.action || '—'}</dd>
        {d?.description ? (
          <>
            <dt>Description</dt>
            <dd className="pre-line">{d.description}</dd>
          </>
        ) : null}
        <dt>Started</dt>
        <dd>{formatTime(run?.ExecutionStartTime)}</dd>
        <dt>Ended</dt>
        <dd>
          {formatTime(run?.ExecutionEndTime)}
          {run?.ExecutionStartTime ? <span className="muted"> ({duration(run.ExecutionStartTime, run.ExecutionEndTime)})</span> : null}
        </dd>
        {run?.StepExecutionId ? (
          <>
            <dt>Step execution</dt>
            <dd className="mono break">{run.StepExecutionId}</dd>
          </>
        ) : null}
        <dt>On failure</dt>
        <dd>
          {run?.OnFailure ?? d?.onFailure ?? 'Abort'}
          {run?.IsCritical === false ? <span className="muted"> · not critical</span> : null}
        </dd>
        {run?.MaxAttempts && run.MaxAttempts > 1 ? (
          <>
            <dt>Attempts</dt>
            <dd>up to {run.MaxAttempts}</dd>
          </>
        ) : null}
        {run?.TimeoutSeconds ? (
          <>
            <dt>Timeout</dt>
            <dd>{run.TimeoutSeconds} s</dd>
          </>
        ) : null}
        <dt>Goes to</dt>
        <dd data-testid="auto-step-next">
          {node.targets.length === 0 ? <span className="muted">{node.isEnd ? 'the end (isEnd)' : 'the end'}</span> : null}
          {node.targets.length ? (
            <ul className="plain">
              {node.targets.map((t) => (
                <li key={t.to} className={t.taken ? 'target-taken' : undefined}>
                  <span className="mono">{t.to}</span> <span className="muted">({KIND[t.kind]}{t.taken ? ', taken' : ''})</span>
                </li>
              ))}
            </ul>
          ) : null}
        </dd>
        {run?.Response || run?.ResponseCode ? (
          <>
            <dt>Response</dt>
            <dd className="break">
              {run.ResponseCode ? <code>{run.ResponseCode}</code> : null} {run.Response}
            </dd>
          </>
        ) : null}
      </dl>

      {run?.FailureMessage || run?.FailureDetails ? (
        <div className="error-box" data-testid="auto-step-failure">
          <p>
            <strong>Failure</strong>
            {run.FailureDetails?.FailureType ? (
              <>
                {' '}
                <code className="error-code">{run.FailureDetails.FailureType}</code>
              </>
            ) : null}
            {run.FailureDetails?.FailureStage ? <span className="muted small"> at {run.FailureDetails.FailureStage}</span> : null}
          </p>
          {run.FailureMessage ? <p className="error-message pre-line">{run.FailureMessage}</p> : null}
          {run.FailureDetails?.Details && Object.keys(run.FailureDetails.Details).length ? <ValueMap values={run.FailureDetails.Details} empty="" /> : null}
        </div>
      ) : null}
      {run?.WarningMessage ? <p className="callout callout-warn">{run.WarningMessage}</p> : null}

      {node.children.length ? (
        <>
          <h3>Steps inside the loop</h3>
          <div className="table-wrap">
            <table className="table" data-testid="auto-step-iterations">
              <thead>
                <tr>
                  <th scope="col">Iteration</th>
                  <th scope="col">Step</th>
                  <th scope="col">Status</th>
                  <th scope="col">Took</th>
                </tr>
              </thead>
              <tbody>
                {node.children.map((c, i) => (
                  <tr key={c.StepExecutionId ?? i}>
                    <td>
                      {c.ParentStepDetails?.Iteration ?? '—'}
                      {c.ParentStepDetails?.IteratorValue ? <span className="muted"> ({c.ParentStepDetails.IteratorValue})</span> : null}
                    </td>
                    <td className="mono">{c.StepName}</td>
                    <td>
                      <StatusBadge status={c.StepStatus} />
                    </td>
                    <td>{duration(c.ExecutionStartTime, c.ExecutionEndTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}

      <h3>Inputs</h3>
      <ValueMap values={run?.Inputs} empty={run ? 'No inputs.' : 'Inputs are resolved when the step starts.'} testId="auto-step-inputs" />
      {run?.OverriddenParameters && Object.keys(run.OverriddenParameters).length ? (
        <>
          <h3>Overridden parameters</h3>
          <ValueMap values={run.OverriddenParameters} empty="" />
        </>
      ) : null}
      <h3>Outputs</h3>
      <ValueMap values={run?.Outputs} empty={node.ran && node.status !== 'InProgress' && node.status !== 'Waiting' ? 'No outputs.' : 'Outputs appear when the step finishes.'} testId="auto-step-outputs" />
    </div>
  );
}
