import { complianceItems, type ComplianceItem, type ComplianceStringFilter } from '../../api/compliance';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { ago, formatTime, plural } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { PatchNow } from '../patching/PatchNow';
import { ComplianceBadge, severityTone } from './ComplianceChart';
import { Remediate } from './Remediate';

/** One node's items of one compliance type: the failing ones, or all of them. */
export function NodeItems({ type, node, all }: { type: string; node: string; all: boolean }) {
  const items = useAsync(
    (signal) => {
      const filters: ComplianceStringFilter[] = [{ Key: 'ComplianceType', Values: [type] }];
      if (!all) filters.push({ Key: 'Status', Values: ['NON_COMPLIANT'] });
      return complianceItems({ ResourceIds: [node], Filters: filters }, { signal, limit: 2000 });
    },
    [type, node, all],
  );
  const list = items.data ?? [];
  const failing = list.filter((i) => i.Status === 'NON_COMPLIANT');
  return (
    <>
      <div className="cmp-switch" role="group" aria-label="Which items">
        <Link to={withQuery('/compliance', { type, node })} className={`button button-small${all ? '' : ' button-primary'}`} aria-current={all ? undefined : 'true'} data-testid="cmp-items-failing">
          Non-compliant
        </Link>
        <Link to={withQuery('/compliance', { type, node, items: 'all' })} className={`button button-small${all ? ' button-primary' : ''}`} aria-current={all ? 'true' : undefined} data-testid="cmp-items-all">
          All items
        </Link>
      </div>
      {items.loading ? <Loading /> : null}
      {items.error !== undefined ? <ErrorBox error={items.error} retry={items.reload} /> : null}
      {items.data && !items.loading ? (
        <>
          {type === 'Patch' && failing.length ? <PatchNow instanceIds={[node]} testId="cmp-patch-now" /> : null}
          {type === 'Association' && failing.length ? <Remediate associationIds={failing.flatMap((i) => (i.Id ? [i.Id] : []))} testId="cmp-remediate" /> : null}
          {list.length === 0 ? (
            <Empty>{all ? `${node} has no ${type} items.` : `${node} has no non-compliant ${type} items.`}</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="cmp-items">
                <caption className="visually-hidden">{plural(list.length, `${type} item`)} of {node}</caption>
                <thead>
                  <tr>
                    <th scope="col">Id</th>
                    <th scope="col">Title</th>
                    <th scope="col">Status</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Details</th>
                    <th scope="col">Checked</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((i, k) => (
                    <tr key={`${i.Id ?? ''}-${k}`} data-testid="cmp-item-row" data-item-id={i.Id} data-status={i.Status}>
                      <td className="mono break">
                        <ItemId item={i} />
                      </td>
                      <td className="break">{i.Title ?? '—'}</td>
                      <td>
                        <ComplianceBadge status={i.Status} />
                      </td>
                      <td>
                        <span className={`badge badge-${severityTone(i.Severity)}`}>{i.Severity ?? '—'}</span>
                      </td>
                      <td>
                        <Details details={i.Details} />
                      </td>
                      <td title={formatTime(i.ExecutionSummary?.ExecutionTime)}>
                        {ago(i.ExecutionSummary?.ExecutionTime)}
                        {i.ExecutionSummary?.ExecutionId ? <span className="muted small mono break"> {i.ExecutionSummary.ExecutionId}</span> : null}
                      </td>
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

/** An Association item's Id is its association's: a link to it. */
function ItemId({ item }: { item: ComplianceItem }) {
  if (!item.Id) return <>—</>;
  if (item.ComplianceType === 'Association') return <Link to={`/state-manager/associations/${item.Id}`}>{item.Id}</Link>;
  return <>{item.Id}</>;
}

function Details({ details }: { details: Record<string, string> | undefined }) {
  const entries = Object.entries(details ?? {});
  if (!entries.length) return <>—</>;
  return (
    <dl className="cmp-details">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className="break">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
