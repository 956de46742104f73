import { allPages } from '../../api/client';
import type { InstanceAssociationStatusInfo } from '../../api/types';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';

/**
 * The associations that ran on one node, as DescribeInstanceAssociationsStatus reports them.
 * `elsewhere` (a node of another region than the header's) leaves out links to pages that call
 * in the header's region.
 */
export function NodeAssociations({ id, region, elsewhere }: { id: string; region: string | undefined; elsewhere?: boolean }) {
  const s = useAsync(
    (signal) =>
      allPages<{ InstanceAssociationStatusInfos?: InstanceAssociationStatusInfo[]; NextToken?: string }, InstanceAssociationStatusInfo>(
        'DescribeInstanceAssociationsStatus',
        { InstanceId: id, MaxResults: 50 },
        (p) => p.InstanceAssociationStatusInfos,
        { signal, region, limit: 200 },
      ),
    [id, region],
  );
  if (s.loading) return <Loading />;
  if (s.error !== undefined) return <ErrorBox error={s.error} retry={s.reload} />;
  const list = s.data ?? [];
  return (
    <>
      {list.length === 0 ? (
        <Empty>No association has run on this node.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="node-associations">
            <thead>
              <tr>
                <th scope="col">Association</th>
                <th scope="col">Document</th>
                <th scope="col">Status</th>
                <th scope="col">Detailed status</th>
                <th scope="col">Ran</th>
              </tr>
            </thead>
            <tbody>
              {list.map((x) => (
                <tr key={x.AssociationId ?? x.Name} data-testid="node-association-row" data-association-id={x.AssociationId} data-status={x.Status}>
                  <td>
                    {x.AssociationId && !elsewhere ? (
                      <Link to={`/state-manager/associations/${x.AssociationId}`} className={x.AssociationName ? undefined : 'mono'}>
                        {x.AssociationName || x.AssociationId}
                      </Link>
                    ) : (
                      <span className={x.AssociationName ? undefined : 'mono'}>{x.AssociationName || x.AssociationId || '—'}</span>
                    )}
                  </td>
                  <td>
                    {x.Name ?? '—'}
                    {x.DocumentVersion && x.DocumentVersion !== '$DEFAULT' ? <span className="muted"> v{x.DocumentVersion}</span> : null}
                  </td>
                  <td>
                    <StatusBadge status={x.Status} />
                  </td>
                  <td title={x.ExecutionSummary}>
                    {x.DetailedStatus ?? '—'}
                    {x.ErrorCode ? <span className="muted small mono"> {x.ErrorCode}</span> : null}
                  </td>
                  <td title={formatTime(x.ExecutionDate)}>{x.ExecutionDate ? ago(x.ExecutionDate) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {elsewhere ? null : (
        <p className="muted small">
          <Link to={withQuery('/state-manager/create', { instanceIds: id })} data-testid="node-create-association">
            Create an association for this node
          </Link>
        </p>
      )}
    </>
  );
}
