import { useState } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { plural } from '../../lib/format';
import { Link } from '../../router/router';

/** StartAssociationsOnce takes at most 10 ids a call. */
const PER_CALL = 10;

/**
 * "Remediate" for Association compliance: runs the failing associations again now
 * (StartAssociationsOnce), on all their targets, which writes their compliance anew.
 */
export function Remediate({ associationIds, testId, onStarted }: { associationIds: string[]; testId: string; onStarted?: () => void }) {
  const [state, setState] = useState<'idle' | 'busy' | 'sent'>('idle');
  const [error, setError] = useState<{ code: string; message: string }>();
  const ids = [...new Set(associationIds)];

  const run = async () => {
    setState('busy');
    setError(undefined);
    try {
      for (let i = 0; i < ids.length; i += PER_CALL) await ssm('StartAssociationsOnce', { AssociationIds: ids.slice(i, i + PER_CALL) });
      setState('sent');
      onStarted?.();
    } catch (e) {
      setError(describeError(e));
      setState('idle');
    }
  };

  return (
    <div className="remediate" data-testid={testId}>
      <button type="button" className="button button-primary" onClick={() => void run()} disabled={state === 'busy' || ids.length === 0} data-testid={`${testId}-button`}>
        {state === 'busy' ? 'Starting…' : `Remediate (run ${plural(ids.length, 'association')} now)`}
      </button>
      <div aria-live="polite">
        {state === 'sent' ? (
          <p className="callout callout-good small" data-testid={`${testId}-sent`}>
            Started{' '}
            {ids.map((id, i) => (
              <span key={id}>
                {i ? ', ' : ''}
                <Link to={`/state-manager/associations/${id}`} className="mono">
                  {id}
                </Link>
              </span>
            ))}
            . Their compliance is written again when they finish.
          </p>
        ) : null}
      </div>
      {error ? (
        <p className="field-error" role="alert" data-testid={`${testId}-error`}>
          <code className="error-code">{error.code}</code> {error.message}
        </p>
      ) : null}
    </div>
  );
}
