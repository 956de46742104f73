import { useEffect, useState } from 'react';
import { ssm } from '../../api/client';
import type { AutomationExecution } from '../../api/types';
import { Field } from '../../components/Field';
import { ErrorBox } from '../../components/Status';
import type { Waiting } from './graph';

type Signal = 'Approve' | 'Reject' | 'Resume' | 'StartStep';

const SENT: Record<Signal, string> = {
  Approve: 'Your approval was sent.',
  Reject: 'Your rejection was sent.',
  Resume: 'The execution was told to resume.',
  StartStep: 'The step was started.',
};

/** Inputs arrive as text; a list may be JSON (`["a","b"]`). */
function listText(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    const parsed = JSON.parse(v) as unknown;
    if (Array.isArray(parsed)) return parsed.map(String).join(', ');
  } catch {
    // plain text
  }
  return v;
}

/**
 * What a person can do for an execution that waits on them: approve or reject an aws:approve
 * step (with a comment), resume an aws:pause step, or run the next step of an Interactive
 * execution. The server decides who may; its refusal shows here as it words it.
 */
export function SignalPanel({ id, exec, waiting, onSent }: { id: string; exec: AutomationExecution; waiting: Waiting; onSent: () => void }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<Signal>();
  const [sent, setSent] = useState<Signal>();
  const [error, setError] = useState<unknown>();
  const [nextStep, setNextStep] = useState('');

  const stepKey = waiting.kind === 'approve' || waiting.kind === 'resume' ? `${waiting.kind}:${waiting.step.StepExecutionId ?? waiting.step.StepName}` : waiting.kind;
  const suggested = waiting.kind === 'startStep' ? (waiting.next ?? waiting.candidates[0] ?? '') : '';
  // A new wait is a new question: the last answer and its error belong to the one before.
  useEffect(() => {
    setSent(undefined);
    setError(undefined);
    setComment('');
  }, [stepKey]);
  useEffect(() => {
    setNextStep(suggested);
  }, [suggested, exec.StepExecutions?.length]);

  if (waiting.kind === 'none') return null;

  const send = async (type: Signal, payload?: Record<string, string[]>) => {
    setBusy(type);
    setError(undefined);
    setSent(undefined);
    try {
      await ssm('SendAutomationSignal', { AutomationExecutionId: id, SignalType: type, ...(payload ? { Payload: payload } : {}) });
      setSent(type);
      setComment('');
      onSent();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  };

  const feedback = (
    <>
      {error !== undefined ? <ErrorBox error={error} title="The signal was refused" testId="auto-signal-error" /> : null}
      {sent ? (
        <p className="callout callout-good" role="status" data-testid="auto-signal-sent">
          {SENT[sent]}
        </p>
      ) : null}
    </>
  );

  if (waiting.kind === 'approve') {
    const inputs = waiting.step.Inputs ?? {};
    const withComment = () => (comment.trim() ? { Comment: [comment.trim()] } : undefined);
    return (
      <section className="panel panel-waiting" aria-labelledby="h-approval" data-testid="auto-approval" data-step={waiting.step.StepName}>
        <h2 id="h-approval">Waiting for approval</h2>
        <p>
          Step <span className="mono">{waiting.step.StepName}</span> waits for approval before the execution goes on.
        </p>
        <dl className="facts">
          {inputs.Message ? (
            <>
              <dt>Message</dt>
              <dd className="pre-line" data-testid="auto-approval-message">
                {inputs.Message}
              </dd>
            </>
          ) : null}
          {inputs.Approvers ? (
            <>
              <dt>Approvers</dt>
              <dd className="break" data-testid="auto-approval-approvers">
                {listText(inputs.Approvers)}
              </dd>
            </>
          ) : null}
          {inputs.MinRequiredApprovals ? (
            <>
              <dt>Approvals needed</dt>
              <dd>{inputs.MinRequiredApprovals}</dd>
            </>
          ) : null}
        </dl>
        <Field label="Comment" hint="Optional; kept with your decision.">
          {(ids) => <textarea {...ids} rows={2} maxLength={4096} value={comment} onChange={(e) => setComment(e.target.value)} data-testid="auto-approval-comment" />}
        </Field>
        <div className="form-actions">
          <button type="button" className="button button-primary" disabled={busy !== undefined} onClick={() => void send('Approve', withComment())} data-testid="auto-approve">
            {busy === 'Approve' ? 'Approving…' : 'Approve'}
          </button>
          <button type="button" className="button button-danger" disabled={busy !== undefined} onClick={() => void send('Reject', withComment())} data-testid="auto-reject">
            {busy === 'Reject' ? 'Rejecting…' : 'Reject'}
          </button>
        </div>
        {feedback}
      </section>
    );
  }

  if (waiting.kind === 'resume') {
    return (
      <section className="panel panel-waiting" aria-labelledby="h-paused" data-testid="auto-paused" data-step={waiting.step.StepName}>
        <h2 id="h-paused">Paused</h2>
        <p>
          Step <span className="mono">{waiting.step.StepName}</span> (aws:pause) holds the execution until it is resumed.
        </p>
        <div className="form-actions">
          <button type="button" className="button button-primary" disabled={busy !== undefined} onClick={() => void send('Resume')} data-testid="auto-resume">
            {busy === 'Resume' ? 'Resuming…' : 'Resume'}
          </button>
        </div>
        {feedback}
      </section>
    );
  }

  return (
    <section className="panel panel-waiting" aria-labelledby="h-interactive" data-testid="auto-interactive">
      <h2 id="h-interactive">Waiting for the next step</h2>
      <p>This execution runs in Interactive mode: each step runs when you start it.</p>
      <div className="row">
        <Field label="Step to run">
          {(ids) => (
            <select {...ids} value={nextStep} onChange={(e) => setNextStep(e.target.value)} data-testid="auto-next-step">
              {waiting.candidates.map((n) => (
                <option key={n} value={n}>
                  {n}
                  {n === waiting.next ? ' (next)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={busy !== undefined || !nextStep} onClick={() => void send('StartStep', { StepName: [nextStep] })} data-testid="auto-start-step">
          {busy === 'StartStep' ? 'Starting…' : 'Run next step'}
        </button>
      </div>
      {feedback}
    </section>
  );
}
