import { useEffect, useId, useRef, useState } from 'react';
import { patchNow } from '../../api/patching';
import { describeError } from '../../api/errors';
import type { Command } from '../../api/types';
import { plural } from '../../lib/format';
import { Link } from '../../router/router';

type Reboot = 'RebootIfNeeded' | 'NoReboot';

/**
 * "Patch now": AWS-RunPatchBaseline with Operation Install on the nodes, after a confirmation
 * that says what will run and lets the reboot be left to the operator. The commands sent link to
 * their Run Command pages.
 */
export function PatchNow({ instanceIds, testId, onSent, className = 'button button-primary' }: { instanceIds: string[]; testId: string; onSent?: (commands: Command[]) => void; className?: string }) {
  const [state, setState] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [reboot, setReboot] = useState<Reboot>('RebootIfNeeded');
  const [sent, setSent] = useState<Command[]>([]);
  const [error, setError] = useState<{ code: string; message: string }>();
  const name = useId();
  const count = instanceIds.length;
  // The button that was clicked goes away: focus follows to the question, and back after it.
  const confirmButton = useRef<HTMLButtonElement>(null);
  const openButton = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  useEffect(() => {
    if (state === 'confirm' && !asked.current) confirmButton.current?.focus();
    else if (state === 'idle' && asked.current) openButton.current?.focus();
    asked.current = state !== 'idle';
  }, [state]);

  const send = async () => {
    setState('busy');
    setError(undefined);
    try {
      const commands = await patchNow(instanceIds, reboot, `Patch now from the console on ${plural(count, 'node')}`);
      setSent(commands);
      setState('idle');
      onSent?.(commands);
    } catch (e) {
      setError(describeError(e));
      setState('confirm');
    }
  };

  return (
    <div className="patch-now" data-testid={testId}>
      {state === 'idle' ? (
        <button type="button" ref={openButton} className={className} onClick={() => setState('confirm')} disabled={count === 0} data-testid={`${testId}-button`} title={count === 0 ? 'No node to patch' : undefined}>
          Patch now
        </button>
      ) : (
        <fieldset className="confirm-panel" data-testid={`${testId}-confirm`}>
          <legend>Install the approved patches on {plural(count, 'node')}?</legend>
          <p className="small">
            Runs <code>AWS-RunPatchBaseline</code> with <code>Operation=Install</code> on {count <= 3 ? instanceIds.map((i) => <code key={i}>{i} </code>) : plural(count, 'node')}, following each node's patch baseline.
          </p>
          <div className="check">
            <input type="radio" id={`${name}-reboot`} name={name} checked={reboot === 'RebootIfNeeded'} onChange={() => setReboot('RebootIfNeeded')} data-testid={`${testId}-reboot-if-needed`} />
            <label htmlFor={`${name}-reboot`}>Reboot if needed</label>
          </div>
          <div className="check">
            <input type="radio" id={`${name}-noreboot`} name={name} checked={reboot === 'NoReboot'} onChange={() => setReboot('NoReboot')} data-testid={`${testId}-no-reboot`} />
            <label htmlFor={`${name}-noreboot`}>Do not reboot (patches that need one stay pending)</label>
          </div>
          <div className="form-actions">
            <button type="button" ref={confirmButton} className="button button-primary" onClick={() => void send()} disabled={state === 'busy'} data-testid={`${testId}-confirm-button`}>
              {state === 'busy' ? 'Sending…' : 'Yes, install patches'}
            </button>
            <button type="button" className="button" onClick={() => setState('idle')} disabled={state === 'busy'}>
              Cancel
            </button>
          </div>
          {error ? (
            <p className="field-error" role="alert" data-testid={`${testId}-error`}>
              <code className="error-code">{error.code}</code> {error.message}
            </p>
          ) : null}
        </fieldset>
      )}
      <div aria-live="polite">
        {sent.length ? (
          <p className="callout callout-good small" data-testid={`${testId}-sent`}>
            Sent {sent.length === 1 ? 'command' : 'commands'}{' '}
            {sent.map((c, i) => (
              <span key={c.CommandId}>
                {i ? ', ' : ''}
                <Link to={`/run-command/commands/${c.CommandId}`} className="mono" data-testid={`${testId}-command`}>
                  {c.CommandId}
                </Link>
              </span>
            ))}
            : <code>AWS-RunPatchBaseline</code> Install on {plural(count, 'node')}.
          </p>
        ) : null}
      </div>
    </div>
  );
}
