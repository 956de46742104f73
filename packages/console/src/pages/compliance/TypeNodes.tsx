import { complianceItems, resourceSummaries, type ComplianceStringFilter } from '../../api/compliance';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { ago, formatTime, plural } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { PatchNow } from '../patching/PatchNow';
import { ComplianceBadge, severityTone } from './ComplianceChart';
import { Remediate } from './Remediate';

/**
 * The nodes of one compliance type (the non-compliant ones unless `status` says otherwise), with
 * the type's remedy for all of them: Patch now for Patch, Remediate for Association.
 */
export function TypeNodes({ type, status, severity }: { type: string; status: string; severity: string | undefined }) {
  const list = useAsync(
    (signal) => {
      const filters: ComplianceStringFilter[] = [{ Key: 'ComplianceType', Values: [type] }];
      if (status !== 'ALL') filters.push({ Key: 'Status', Values: [status] });
      if (severity) filters.push({ Key: 'OverallSeverity', Values: [severity] });
      return resourceSummaries(filters, { signal, limit: 1000 });
    },
    [type, status, severity],
  );
  const failing = (list.data ?? []).filter((r) => r.Status === 'NON_COMPLIANT');

  return (
    <>
      <div className="cmp-switch" role="group" aria-label="Which nodes">
        {[
          ['NON_COMPLIANT', 'Non-compliant'],
          ['COMPLIANT', 'Compliant'],
          ['ALL', 'All'],
        ].map(([v, label]) => (
          <Link key={v} to={withQuery('/compliance', { type, status: v === 'NON_COMPLIANT' ? undefined : v, severity })} className={`button button-small${status === v ? ' button-primary' : ''}`} aria-current={status === v ? 'true' : undefined} data-testid={`cmp-status-${v}`}>
            {label}
          </Link>
        ))}
        {severity ? (
          <span className="chip">
            Severity {severity}{' '}
            <Link to={withQuery('/compliance', { type, status: status === 'NON_COMPLIANT' ? undefined : status })} aria-label={`Stop filtering on severity ${severity}`} className="chip-remove">
              ×
            </Link>
          </span>
        ) : null}
      </div>
      {list.loading ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && !list.loading ? (
        <>
          {type === 'Patch' && failing.length ? <PatchNow instanceIds={failing.map((r) => r.ResourceId)} testId="cmp-patch-now" /> : null}
          {type === 'Association' && failing.length ? <FailingAssociations nodes={failing.map((r) => r.ResourceId)} /> : null}
          {list.data.length === 0 ? (
            <Empty>{status === 'NON_COMPLIANT' ? `Every node with ${type} compliance is compliant.` : `No node has ${type} compliance${status === 'COMPLIANT' ? ' and is compliant' : ''}.`}</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="cmp-nodes">
                <caption className="visually-hidden">{plural(list.data.length, 'node')} with {type} compliance</caption>
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">Status</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Items</th>
                    <th scope="col">Last checked</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((r) => (
                    <tr key={r.ResourceId} data-testid="cmp-node-row" data-resource-id={r.ResourceId} data-status={r.Status}>
                      <td>
                        <Link to={withQuery('/compliance', { type, node: r.ResourceId })} className="mono" data-testid="cmp-node-link" title={`${type} items of ${r.ResourceId}`}>
                          {r.ResourceId}
                        </Link>{' '}
                        <Link to={`/nodes/${encodeURIComponent(r.ResourceId)}`} className="small" aria-label={`Node page of ${r.ResourceId}`}>
                          node
                        </Link>
                      </td>
                      <td>
                        <ComplianceBadge status={r.Status} />
                      </td>
                      <td>
                        <span className={`badge badge-${severityTone(r.OverallSeverity)}`}>{r.OverallSeverity ?? '—'}</span>
                      </td>
                      <td>
                        {r.NonCompliantSummary?.NonCompliantCount ?? 0} non-compliant, {r.CompliantSummary?.CompliantCount ?? 0} compliant
                      </td>
                      <td title={formatTime(r.ExecutionSummary?.ExecutionTime)}>{ago(r.ExecutionSummary?.ExecutionTime)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </>
  );
}

/** The associations failing on these nodes: the Ids of their non-compliant Association items. */
function FailingAssociations({ nodes }: { nodes: string[] }) {
  const items = useAsync(
    (signal) =>
      complianceItems(
        {
          Filters: [
            { Key: 'ComplianceType', Values: ['Association'] },
            { Key: 'Status', Values: ['NON_COMPLIANT'] },
          ],
        },
        { signal, limit: 1000 },
      ),
    [nodes.join(',')],
  );
  if (items.loading) return <Loading label="Finding the failing associations…" />;
  if (items.error !== undefined) return <ErrorBox error={items.error} retry={items.reload} />;
  const ids = (items.data ?? []).filter((i) => i.Id && nodes.includes(i.ResourceId)).map((i) => i.Id!);
  return <Remediate associationIds={ids} testId="cmp-remediate" />;
}
