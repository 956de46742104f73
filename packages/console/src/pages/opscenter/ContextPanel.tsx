import { Empty, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { Link } from '../../router/router';
import { OpsStatus } from './OpsStatus';
import type { OpsItemContext } from './types';

const NODE_ARN = /:managed-instance\/((mi|i)-[0-9a-f]+)$/;
const denied = <p className="muted small">Not available: not permitted, or the resource is gone.</p>;

/** Each resource's recent audit events, commands and compliance, as the server gathered them for the caller. */
export function ResourceContext({ context }: { context: OpsItemContext }) {
  if (context.Resources.length === 0) return <Empty>This OpsItem names no resource.</Empty>;
  return (
    <>
      {context.Resources.map((r) => {
        const node = NODE_ARN.exec(r.Arn)?.[1];
        return (
          <div key={r.Arn} className="ops-resource" data-testid="ops-context-resource" data-arn={r.Arn}>
            <h3 className="mono small">{node ? <Link to={`/nodes/${node}`}>{r.Arn}</Link> : r.Arn}</h3>
            {r.Commands !== undefined ? (
              <>
                <h4>Recent commands</h4>
                {r.Commands === null ? denied : r.Commands.length === 0 ? <p className="muted small">None.</p> : (
                  <ul className="plain" data-testid="ops-context-commands">
                    {r.Commands.map((c) => (
                      <li key={c.CommandId}>
                        <Link to={`/run-command/commands/${c.CommandId}`} className="mono">{c.CommandId.slice(0, 8)}</Link> {c.DocumentName} <StatusBadge status={c.Status} /> <span className="muted small">{ago(c.RequestedDateTime)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </>
            ) : null}
            {r.Compliance !== undefined ? (
              <>
                <h4>Compliance</h4>
                {r.Compliance === null ? denied : r.Compliance.length === 0 ? <p className="muted small">Nothing reported.</p> : (
                  <ul className="plain" data-testid="ops-context-compliance">
                    {r.Compliance.map((c, i) => (
                      <li key={`${c.ComplianceType}-${c.Id}-${i}`}>
                        {c.ComplianceType}: {c.Title || c.Id} <StatusBadge status={c.Status === 'COMPLIANT' ? 'Success' : 'Failed'} /> <span className="muted small">{c.Severity}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </>
            ) : null}
            <h4>Recent audit events</h4>
            {r.AuditEvents === null ? denied : r.AuditEvents.length === 0 ? <p className="muted small">None recorded.</p> : (
              <ul className="plain" data-testid="ops-context-audit">
                {r.AuditEvents.map((e) => (
                  <li key={e.EventId}>
                    {e.EventName} by {e.Username || 'unknown'} <span className="muted small" title={formatTime(e.EventTime)}>{ago(e.EventTime)}</span>
                    {e.ErrorCode ? <code className="error-code"> {e.ErrorCode}</code> : null}
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </>
  );
}

export function SimilarItems({ context }: { context: OpsItemContext }) {
  if (context.SimilarOpsItems.length === 0) return <Empty>No earlier OpsItem like this one.</Empty>;
  return (
    <ul className="plain" data-testid="ops-similar">
      {context.SimilarOpsItems.map((s) => (
        <li key={s.OpsItemId} data-testid="ops-similar-item" data-ops-item-id={s.OpsItemId}>
          <Link to={`/opscenter/items/${s.OpsItemId}`} className="mono">{s.OpsItemId}</Link> {s.Title} <OpsStatus status={s.Status} />
          {s.Resolution ? <span className="muted small"> resolved {ago(s.Resolution.ResolvedTime)} by {s.Resolution.ResolvedBy.split(/[:/]/).pop()}</span> : null}
          {s.Runbooks.length ? <span className="muted small"> · ran {s.Runbooks.length} runbook{s.Runbooks.length === 1 ? '' : 's'}</span> : null}
        </li>
      ))}
    </ul>
  );
}

export function LinkedAutomations({ context }: { context: OpsItemContext }) {
  if (context.Automations === null) return denied;
  if (context.Automations.length === 0) return <Empty>No automation is linked to this OpsItem yet.</Empty>;
  return (
    <ul className="plain" data-testid="ops-automations">
      {context.Automations.map((a) => (
        <li key={a.AutomationExecutionId} data-testid="ops-automation" data-execution-id={a.AutomationExecutionId}>
          <Link to={`/automation/executions/${a.AutomationExecutionId}`} className="mono">{a.AutomationExecutionId}</Link> {a.DocumentName} <StatusBadge status={a.AutomationExecutionStatus} /> <span className="muted small">{ago(a.ExecutionStartTime)}</span>
        </li>
      ))}
    </ul>
  );
}
