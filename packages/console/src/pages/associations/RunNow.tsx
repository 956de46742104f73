import { useState } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';

/**
 * StartAssociationsOnce for one association: it runs now, on its targets, without waiting for
 * its schedule. A refusal shows beside the button, as the server words it.
 */
export function RunNow({ associationId, label, onStarted, testId, className = 'button' }: { associationId: string; label: string; onStarted?: () => void; testId: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'busy' | 'sent'>('idle');
  const [error, setError] = useState<{ code: string; message: string }>();
  const run = async () => {
    setState('busy');
    setError(undefined);
    try {
      await ssm('StartAssociationsOnce', { AssociationIds: [associationId] });
      setState('sent');
      onStarted?.();
    } catch (e) {
      setError(describeError(e));
      setState('idle');
    }
  };
  return (
    <span className="run-now">
      <button type="button" className={className} onClick={() => void run()} disabled={state === 'busy'} aria-label={`Run ${label} now`} data-testid={testId}>
        {state === 'busy' ? 'Starting…' : 'Run now'}
      </button>
      <span aria-live="polite">
        {state === 'sent' ? (
          <span className="muted small" data-testid={`${testId}-sent`}>
            {' '}
            Started
          </span>
        ) : null}
      </span>
      {error ? (
        <span className="field-error small" role="alert" data-testid={`${testId}-error`}>
          {' '}
          <code className="error-code">{error.code}</code> {error.message}
        </span>
      ) : null}
    </span>
  );
}
