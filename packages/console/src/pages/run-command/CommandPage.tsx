import { ssm } from '../../api/client';
import type { Command } from '../../api/types';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { LiveView } from './LiveView';

export function CommandPage({ id }: { id: string }) {
  const c = useAsync(async (signal) => (await ssm<{ Commands?: Command[] }>('ListCommands', { CommandId: id }, { signal })).Commands?.[0] ?? null, [id]);
  const cmd = c.data;
  return (
    <Page
      title={`Command ${id.slice(0, 8)}`}
      heading={
        <>
          Command <span className="mono">{id}</span>
        </>
      }
      testId="command-page"
      actions={
        <>
          <Link to="/run-command/history" className="button">
            History
          </Link>
          {cmd ? (
            <Link to={withQuery('/run-command', { document: cmd.DocumentName, instanceIds: cmd.InstanceIds?.join(',') })} className="button">
              Run again
            </Link>
          ) : null}
        </>
      }
    >
      {c.loading ? <Loading /> : null}
      {c.error !== undefined ? <ErrorBox error={c.error} retry={c.reload} /> : null}
      {c.data === null ? <p className="empty">No command {id} in this account and region.</p> : null}
      {cmd ? (
        <>
          <dl className="facts facts-inline" data-testid="command-info">
            <dt>Document</dt>
            <dd>
              <Link to={`/documents/view/${encodeURIComponent(cmd.DocumentName)}`}>{cmd.DocumentName}</Link>
              {cmd.DocumentVersion ? ` (${cmd.DocumentVersion})` : ''}
            </dd>
            <dt>Requested</dt>
            <dd>{formatTime(cmd.RequestedDateTime)}</dd>
            <dt>Targets</dt>
            <dd className="break">
              {cmd.InstanceIds?.length
                ? `${cmd.InstanceIds.slice(0, 8).join(', ')}${cmd.InstanceIds.length > 8 ? ` and ${cmd.InstanceIds.length - 8} more` : ''}`
                : (cmd.Targets ?? []).map((t) => `${t.Key} = ${t.Values.join(', ')}`).join('; ') || '—'}
            </dd>
            <dt>Rate</dt>
            <dd>
              {cmd.MaxConcurrency ?? '50'} at a time, stop after {cmd.MaxErrors ?? '0'} errors
            </dd>
            {cmd.Comment ? (
              <>
                <dt>Comment</dt>
                <dd>{cmd.Comment}</dd>
              </>
            ) : null}
            {cmd.Parameters && Object.keys(cmd.Parameters).length ? (
              <>
                <dt>Parameters</dt>
                <dd>
                  <ul className="plain">
                    {Object.entries(cmd.Parameters).map(([k, v]) => (
                      <li key={k}>
                        <span className="mono">{k}</span>: <code className="wrap">{v.join('\n')}</code>
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            ) : null}
          </dl>
          <LiveView commandId={id} />
        </>
      ) : null}
    </Page>
  );
}
