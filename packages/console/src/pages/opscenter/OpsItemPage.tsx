import { useState } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';
import { LinkedAutomations, ResourceContext, SimilarItems } from './ContextPanel';
import { OpsStatus } from './OpsStatus';
import { RunbookPanel } from './RunbookPanel';
import { dataList, type OpsItem, type OpsItemContext, type RelatedItem } from './types';

/** One OpsItem: what it is, its data and resources, the context around it, its runbooks, and Resolve. */
export function OpsItemPage({ id }: { id: string }) {
  const state = useAsync(
    async (signal) => {
      const [item, related, context] = await Promise.all([
        ssm<{ OpsItem: OpsItem }>('GetOpsItem', { OpsItemId: id }, { signal }),
        ssm<{ Summaries?: RelatedItem[] }>('ListOpsItemRelatedItems', { OpsItemId: id }, { signal }),
        ssm<OpsItemContext>('CapstanGetOpsItemContext', { OpsItemId: id }, { signal }),
      ]);
      return { item: item.OpsItem, related: related.Summaries ?? [], context };
    },
    [id],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string }>();

  const setStatus = async (Status: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await ssm('UpdateOpsItem', { OpsItemId: id, Status });
      state.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const item = state.data?.item;
  return (
    <Page
      title={item?.Title ?? id}
      testId="opsitem-page"
      actions={
        <>
          <Link to="/opscenter" className="button">
            All OpsItems
          </Link>
          {item?.Status === 'Open' ? (
            <button type="button" className="button" onClick={() => void setStatus('InProgress')} disabled={busy} data-testid="ops-start-work">
              Start work
            </button>
          ) : null}
          {item && item.Status !== 'Resolved' ? (
            <button type="button" className="button button-primary" onClick={() => void setStatus('Resolved')} disabled={busy} data-testid="ops-resolve">
              Resolve
            </button>
          ) : null}
        </>
      }
    >
      {state.loading && !state.data ? <Loading /> : null}
      {state.error !== undefined ? <ErrorBox error={state.error} retry={state.reload} /> : null}
      {error ? (
        <p className="field-error" role="alert" data-testid="ops-status-error">
          <code className="error-code">{error.code}</code> {error.message}
        </p>
      ) : null}
      {item && state.data ? (
        <>
          <section className="panel" aria-labelledby="h-ops-overview">
            <h2 id="h-ops-overview">Overview</h2>
            <dl className="facts" data-testid="ops-overview">
              <dt>OpsItem</dt>
              <dd className="mono">{item.OpsItemId}</dd>
              <dt>Status</dt>
              <dd>
                <OpsStatus status={item.Status} testId="ops-status" />
              </dd>
              <dt>Source</dt>
              <dd data-testid="ops-source">{item.Source}</dd>
              <dt>Severity</dt>
              <dd>{item.Severity ?? '—'}</dd>
              <dt>Priority</dt>
              <dd>{item.Priority ?? '—'}</dd>
              <dt>Category</dt>
              <dd>{item.Category ?? '—'}</dd>
              <dt>Occurrences</dt>
              <dd data-testid="ops-occurrences">{state.data.context.Occurrences}</dd>
              <dt>Created</dt>
              <dd>
                {formatTime(item.CreatedTime)} <span className="muted small">by {item.CreatedBy}</span>
              </dd>
              <dt>Last modified</dt>
              <dd>
                {formatTime(item.LastModifiedTime)} <span className="muted small">by {item.LastModifiedBy}</span>
              </dd>
            </dl>
            <p className="pre-line" data-testid="ops-description">
              {item.Description}
            </p>
          </section>
          <section className="panel" aria-labelledby="h-ops-runbooks">
            <h2 id="h-ops-runbooks">Runbooks</h2>
            <RunbookPanel opsItemId={id} runbooks={state.data.context.SuggestedRunbooks} onStarted={state.reload} />
            <h3>Automations linked to this OpsItem</h3>
            <LinkedAutomations context={state.data.context} />
          </section>
          <section className="panel" aria-labelledby="h-ops-resources">
            <h2 id="h-ops-resources">Related resources</h2>
            <ul className="plain" data-testid="ops-resources">
              {dataList<{ arn: string }>(item, '/aws/resources').map((r) => (
                <li key={r.arn} className="mono small" data-testid="ops-resource">
                  {r.arn}
                </li>
              ))}
              {state.data.related.map((r) => (
                <li key={r.AssociationId} className="mono small" data-testid="ops-related" data-resource-uri={r.ResourceUri}>
                  {r.ResourceUri} <span className="muted">({r.AssociationType}, {r.ResourceType})</span>
                </li>
              ))}
            </ul>
          </section>
          <section className="panel" aria-labelledby="h-ops-context">
            <h2 id="h-ops-context">Context</h2>
            <ResourceContext context={state.data.context} />
          </section>
          <section className="panel" aria-labelledby="h-ops-similar">
            <h2 id="h-ops-similar">Similar OpsItems</h2>
            <SimilarItems context={state.data.context} />
          </section>
          <section className="panel" aria-labelledby="h-ops-data">
            <h2 id="h-ops-data">Operational data</h2>
            <div className="table-wrap">
              <table className="table" data-testid="ops-data">
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Value</th>
                    <th scope="col">Type</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(item.OperationalData ?? {}).map(([k, v]) => (
                    <tr key={k} data-testid="ops-data-row" data-key={k}>
                      <td className="mono">{k}</td>
                      <td className="mono small ops-data-value">{v.Value}</td>
                      <td>{v.Type ?? 'String'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      ) : null}
    </Page>
  );
}
