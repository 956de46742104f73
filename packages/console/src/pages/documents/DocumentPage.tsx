import { useState } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { sessionStore } from '../../api/session';
import type { DocumentDescription, DocumentVersionInfo, GetDocumentResult } from '../../api/types';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery, withQuery } from '../../router/router';
import { DocumentSharing } from './DocumentSharing';

export function DocumentPage({ name }: { name: string }) {
  const [query, setQuery] = useQuery();
  const version = query.get('version') ?? '';
  const format = query.get('format') ?? '';
  const [nonce, setNonce] = useState(0);

  const desc = useAsync((signal) => ssm<{ Document: DocumentDescription }>('DescribeDocument', { Name: name, ...(version ? { DocumentVersion: version } : {}) }, { signal }), [name, version, nonce]);
  const content = useAsync(
    (signal) => ssm<GetDocumentResult>('GetDocument', { Name: name, ...(version ? { DocumentVersion: version } : {}), ...(format ? { DocumentFormat: format } : {}) }, { signal }),
    [name, version, format, nonce],
  );
  const versions = useAsync((signal) => ssm<{ DocumentVersions?: DocumentVersionInfo[] }>('ListDocumentVersions', { Name: name, MaxResults: 50 }, { signal }), [name, nonce]);
  const [defaultError, setDefaultError] = useState<string>();
  const [busyVersion, setBusyVersion] = useState<string>();

  const d = desc.data?.Document;
  const builtIn = d?.Owner === 'Amazon';
  // Only the owner shares or deletes; a document shared with this account is opened by its ARN.
  const me = sessionStore.get()?.principal.accountId;
  const owned = !!d && !builtIn && !name.startsWith('arn:') && (!me || !d.Owner || d.Owner === me);
  const [deleting, setDeleting] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [deleteError, setDeleteError] = useState<unknown>();
  const remove = async () => {
    setDeleting('busy');
    setDeleteError(undefined);
    try {
      await ssm('DeleteDocument', { Name: name });
      navigate('/documents');
    } catch (e) {
      setDeleteError(e);
      setDeleting('idle');
    }
  };
  const setDefault = async (v: string) => {
    setBusyVersion(v);
    setDefaultError(undefined);
    try {
      await ssm('UpdateDocumentDefaultVersion', { Name: name, DocumentVersion: v });
      setNonce((n) => n + 1);
    } catch (e) {
      setDefaultError(describeError(e).message);
    } finally {
      setBusyVersion(undefined);
    }
  };

  return (
    <Page
      title={name}
      heading={<span className="break">{name}</span>}
      testId="document-page"
      actions={
        <>
          <Link to="/documents" className="button">
            All documents
          </Link>
          {d?.DocumentType === 'Command' ? (
            <Link to={withQuery('/run-command', { document: name })} className="button">
              Run
            </Link>
          ) : null}
          {d?.DocumentType === 'Automation' ? (
            <Link to={withQuery('/automation/start', { document: name })} className="button" data-testid="doc-start-automation">
              Start automation
            </Link>
          ) : null}
          {d && !builtIn ? (
            <Link to={`/documents/view/${encodeURIComponent(name)}/edit`} className="button button-primary" data-testid="doc-new-version">
              New version
            </Link>
          ) : null}
          {owned ? (
            deleting === 'idle' ? (
              <button type="button" className="button button-danger" onClick={() => setDeleting('confirm')} data-testid="doc-delete">
                Delete
              </button>
            ) : (
              <span className="confirm" role="group" aria-label="Confirm deletion">
                Delete every version?{' '}
                <button type="button" className="button button-danger" onClick={() => void remove()} disabled={deleting === 'busy'} data-testid="doc-delete-confirm">
                  {deleting === 'busy' ? 'Deleting…' : 'Yes, delete'}
                </button>{' '}
                <button type="button" className="button" onClick={() => setDeleting('idle')}>
                  Keep it
                </button>
              </span>
            )
          ) : null}
        </>
      }
    >
      {deleteError !== undefined ? <ErrorBox error={deleteError} title="The document was not deleted" testId="doc-delete-error" /> : null}
      {desc.loading && !d ? <Loading /> : null}
      {desc.error !== undefined ? <ErrorBox error={desc.error} retry={desc.reload} /> : null}
      {d ? (
        <div className="grid two">
          <section className="panel" aria-labelledby="h-doc-info">
            <h2 id="h-doc-info">Details</h2>
            <dl className="facts" data-testid="doc-info">
              <dt>Type</dt>
              <dd>{d.DocumentType}</dd>
              <dt>Owner</dt>
              <dd>{d.Owner}</dd>
              <dt>Version shown</dt>
              <dd>
                {d.DocumentVersion}
                {d.VersionName ? ` (${d.VersionName})` : ''}
              </dd>
              <dt>Default / latest</dt>
              <dd>
                {d.DefaultVersion} / {d.LatestVersion}
              </dd>
              <dt>Status</dt>
              <dd>
                {d.Status}
                {d.StatusInformation ? ` — ${d.StatusInformation}` : ''}
              </dd>
              <dt>Schema</dt>
              <dd>{d.SchemaVersion ?? '—'}</dd>
              <dt>Platforms</dt>
              <dd>{d.PlatformTypes?.join(', ') || '—'}</dd>
              <dt>Created</dt>
              <dd>{formatTime(d.CreatedDate)}</dd>
              {d.Description ? (
                <>
                  <dt>Description</dt>
                  <dd>{d.Description}</dd>
                </>
              ) : null}
            </dl>
            {d.Parameters?.length ? (
              <>
                <h3>Parameters</h3>
                <ul className="plain">
                  {d.Parameters.map((p) => (
                    <li key={p.Name}>
                      <span className="mono">{p.Name}</span> <span className="muted">{p.Type}</span>
                      {p.DefaultValue !== undefined ? <span className="muted"> = {p.DefaultValue || '""'}</span> : <span className="required"> required</span>}
                      {p.Description ? <div className="small">{p.Description}</div> : null}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </section>
          <section className="panel" aria-labelledby="h-versions">
            <h2 id="h-versions">Versions</h2>
            {versions.loading && !versions.data ? <Loading /> : null}
            {versions.error !== undefined ? <ErrorBox error={versions.error} retry={versions.reload} /> : null}
            {defaultError ? (
              <p className="field-error" role="alert" data-testid="doc-default-error">
                {defaultError}
              </p>
            ) : null}
            {versions.data?.DocumentVersions?.length ? (
              <div className="table-wrap">
                <table className="table" data-testid="doc-versions">
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">Created</th>
                      <th scope="col">Default</th>
                    </tr>
                  </thead>
                  <tbody>
                    {versions.data.DocumentVersions.map((v) => (
                      <tr key={v.DocumentVersion} data-testid="doc-version-row" data-version={v.DocumentVersion}>
                        <td>
                          <Link to={withQuery(`/documents/view/${encodeURIComponent(name)}`, { version: v.DocumentVersion, format })} aria-current={v.DocumentVersion === d.DocumentVersion ? 'true' : undefined}>
                            {v.DocumentVersion}
                          </Link>
                          {v.VersionName ? <span className="muted"> {v.VersionName}</span> : null}
                        </td>
                        <td>{formatTime(v.CreatedDate)}</td>
                        <td>
                          {v.IsDefaultVersion ? (
                            <span className="badge badge-good">default</span>
                          ) : builtIn ? null : (
                            <button type="button" className="button button-small" onClick={() => void setDefault(v.DocumentVersion!)} disabled={busyVersion !== undefined} data-testid={`doc-set-default-${v.DocumentVersion}`}>
                              {busyVersion === v.DocumentVersion ? 'Setting…' : 'Make default'}
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </section>
          {owned ? <DocumentSharing name={name} /> : null}
          <section className="panel panel-wide" aria-labelledby="h-content">
            <div className="panel-head">
              <h2 id="h-content">Content</h2>
              {content.data?.DocumentFormat !== 'TEXT' ? (
                <div className="segmented" role="radiogroup" aria-label="Show as">
                  {['JSON', 'YAML'].map((f) => (
                    <label key={f}>
                      <input type="radio" name="doc-format" checked={(format || d.DocumentFormat) === f} onChange={() => setQuery({ format: f })} data-testid={`doc-format-${f}`} />
                      {f}
                    </label>
                  ))}
                </div>
              ) : null}
            </div>
            {content.loading && !content.data ? <Loading /> : null}
            {content.error !== undefined ? <ErrorBox error={content.error} retry={content.reload} /> : null}
            {content.data ? (
              <pre className="code" tabIndex={0} data-testid="doc-content">
                {content.data.Content}
              </pre>
            ) : null}
          </section>
        </div>
      ) : null}
    </Page>
  );
}
