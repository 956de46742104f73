import { useState } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { Empty } from '../../components/Status';
import { Link } from '../../router/router';

/**
 * The runbooks suggested for an OpsItem, each with Run: the server starts it for the item (with
 * the item's node as InstanceId when the runbook takes one) and links the execution to it.
 */
export function RunbookPanel({ opsItemId, runbooks, onStarted }: { opsItemId: string; runbooks: string[]; onStarted: () => void }) {
  const [busy, setBusy] = useState<string>();
  const [started, setStarted] = useState<{ runbook: string; id: string }>();
  const [error, setError] = useState<{ code: string; message: string }>();

  const run = async (runbook: string) => {
    setBusy(runbook);
    setError(undefined);
    try {
      const out = await ssm<{ AutomationExecutionId: string }>('CapstanStartOpsItemRunbook', { OpsItemId: opsItemId, DocumentName: runbook });
      setStarted({ runbook, id: out.AutomationExecutionId });
      onStarted();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(undefined);
    }
  };

  if (runbooks.length === 0) return <Empty>No runbook is suggested for this OpsItem.</Empty>;
  return (
    <div data-testid="ops-runbooks">
      <ul className="plain">
        {runbooks.map((r) => (
          <li key={r} className="ops-runbook-row" data-testid="ops-runbook" data-runbook={r}>
            <Link to={`/documents/view/${encodeURIComponent(r)}`}>{r}</Link>{' '}
            <button type="button" className="button button-small button-primary" onClick={() => void run(r)} disabled={busy !== undefined} data-testid="ops-runbook-run">
              {busy === r ? 'Starting…' : 'Run'}
            </button>
          </li>
        ))}
      </ul>
      <div aria-live="polite">
        {started ? (
          <p className="callout callout-good small" data-testid="ops-runbook-started">
            Started {started.runbook}:{' '}
            <Link to={`/automation/executions/${started.id}`} className="mono" data-testid="ops-runbook-execution">
              {started.id}
            </Link>
            , linked to this OpsItem.
          </p>
        ) : null}
      </div>
      {error ? (
        <p className="field-error" role="alert" data-testid="ops-runbook-error">
          <code className="error-code">{error.code}</code> {error.message}
        </p>
      ) : null}
    </div>
  );
}
