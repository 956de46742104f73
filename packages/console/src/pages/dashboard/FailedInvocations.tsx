import { ssm } from '../../api/client';
import type { CommandInvocation } from '../../api/types';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';

const FAILED = new Set(['Failed', 'TimedOut', 'DeliveryTimedOut', 'ExecutionTimedOut', 'Undeliverable', 'Terminated']);

/**
 * ListCommandInvocations filters on the command's status, so this asks for invocations of failed
 * commands and keeps those that themselves did not succeed.
 */
export function FailedInvocations() {
  const { data, error, loading, reload } = useAsync(
    async (signal) => {
      const [failed, timedOut] = await Promise.all(
        ['Failed', 'TimedOut'].map((status) => ssm<{ CommandInvocations?: CommandInvocation[] }>('ListCommandInvocations', { MaxResults: 50, Filters: [{ key: 'Status', value: status }] }, { signal })),
      );
      const all = [...(failed!.CommandInvocations ?? []), ...(timedOut!.CommandInvocations ?? [])].filter((i) => FAILED.has(i.Status ?? '') || FAILED.has(i.StatusDetails ?? ''));
      const time = (i: CommandInvocation) => Number(i.RequestedDateTime ?? 0);
      return all.sort((a, b) => time(b) - time(a)).slice(0, 10);
    },
    [],
  );
  if (loading) return <Loading />;
  if (error !== undefined) return <ErrorBox error={error} retry={reload} />;
  if (!data?.length) return <Empty>No failed command invocations.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="dash-failed-invocations">
        <thead>
          <tr>
            <th scope="col">Command</th>
            <th scope="col">Node</th>
            <th scope="col">Document</th>
            <th scope="col">Status</th>
            <th scope="col">Requested</th>
          </tr>
        </thead>
        <tbody>
          {data.map((i) => (
            <tr key={`${i.CommandId}/${i.InstanceId}`} data-testid="dash-failed-row">
              <td>
                <Link to={`/run-command/commands/${i.CommandId}`} className="mono">
                  {i.CommandId.slice(0, 8)}
                </Link>
                {i.Comment ? <span className="muted"> {i.Comment}</span> : null}
              </td>
              <td>
                <Link to={`/nodes/${i.InstanceId}`} className="mono">
                  {i.InstanceId}
                </Link>
                {i.InstanceName ? <span className="muted"> {i.InstanceName}</span> : null}
              </td>
              <td>{i.DocumentName}</td>
              <td>
                <StatusBadge status={i.StatusDetails ?? i.Status} />
              </td>
              <td title={formatTime(i.RequestedDateTime)}>{ago(i.RequestedDateTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
