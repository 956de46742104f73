import { allPages } from '../../api/client';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';

/**
 * The maintenance windows whose targets (or whose tasks' own targets) take in one node, as
 * DescribeMaintenanceWindowsForTarget answers. `elsewhere` (a node of another region than the
 * header's) leaves out links to pages that call in the header's region.
 */
export function NodeWindows({ id, region, elsewhere }: { id: string; region: string | undefined; elsewhere?: boolean }) {
  const s = useAsync(
    (signal) =>
      allPages<{ WindowIdentities?: { WindowId: string; Name?: string }[]; NextToken?: string }, { WindowId: string; Name?: string }>(
        'DescribeMaintenanceWindowsForTarget',
        { Targets: [{ Key: 'InstanceIds', Values: [id] }], ResourceType: 'INSTANCE', MaxResults: 50 },
        (p) => p.WindowIdentities,
        { signal, region, limit: 200 },
      ),
    [id, region],
  );
  if (s.loading) return <Loading />;
  if (s.error !== undefined) return <ErrorBox error={s.error} retry={s.reload} />;
  const list = s.data ?? [];
  if (!list.length) return <Empty>No maintenance window targets this node.</Empty>;
  return (
    <ul className="plain" data-testid="node-windows">
      {list.map((w) => (
        <li key={w.WindowId} data-testid="node-window-row" data-window-id={w.WindowId}>
          {elsewhere ? <span>{w.Name || w.WindowId}</span> : <Link to={`/maintenance-windows/${w.WindowId}`}>{w.Name || w.WindowId}</Link>} <span className="muted small mono">{w.WindowId}</span>
        </li>
      ))}
    </ul>
  );
}
