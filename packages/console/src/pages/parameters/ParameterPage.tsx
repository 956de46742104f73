import { useEffect, useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { Parameter, ParameterHistory, ParameterMetadata } from '../../api/types';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery, withQuery } from '../../router/router';
import { parentOf } from './paths';

export function ParameterPage() {
  const [query] = useQuery();
  const name = query.get('name') ?? '';
  const meta = useAsync(
    async (signal) =>
      (await ssm<{ Parameters?: ParameterMetadata[] }>('DescribeParameters', { ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }, { signal })).Parameters?.[0] ?? null,
    [name],
  );
  const [historyNonce, setHistoryNonce] = useState(0);
  const m = meta.data;

  const [deleting, setDeleting] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [deleteError, setDeleteError] = useState<unknown>();
  const remove = async () => {
    setDeleting('busy');
    try {
      await ssm('DeleteParameter', { Name: name });
      navigate(withQuery('/parameters', { path: parentOf(name) }));
    } catch (e) {
      setDeleteError(e);
      setDeleting('idle');
    }
  };

  return (
    <Page
      title={name || 'Parameter'}
      heading={<span className="mono break">{name}</span>}
      testId="parameter-page"
      actions={
        m ? (
          <>
            <Link to={withQuery('/parameters', { path: parentOf(name) })} className="button">
              Up to {parentOf(name)}
            </Link>
            <Link to={withQuery('/parameters/edit', { name })} className="button button-primary" data-testid="param-edit">
              Edit
            </Link>
            {deleting === 'idle' ? (
              <button type="button" className="button button-danger" onClick={() => setDeleting('confirm')} data-testid="param-delete">
                Delete
              </button>
            ) : (
              <span className="confirm" role="group" aria-label="Confirm deletion">
                Delete every version?{' '}
                <button type="button" className="button button-danger" onClick={() => void remove()} disabled={deleting === 'busy'} data-testid="param-delete-confirm">
                  Yes, delete
                </button>{' '}
                <button type="button" className="button" onClick={() => setDeleting('idle')}>
                  Keep it
                </button>
              </span>
            )}
          </>
        ) : null
      }
    >
      {deleteError !== undefined ? <ErrorBox error={deleteError} title="The parameter was not deleted" /> : null}
      {meta.loading ? <Loading /> : null}
      {meta.error !== undefined ? <ErrorBox error={meta.error} retry={meta.reload} /> : null}
      {meta.data === null ? <Empty>There is no parameter {name}.</Empty> : null}
      {m ? (
        <div className="grid two">
          <section className="panel" aria-labelledby="h-value">
            <h2 id="h-value">Value</h2>
            <Value name={name} type={m.Type ?? 'String'} />
          </section>
          <section className="panel" aria-labelledby="h-meta">
            <h2 id="h-meta">Details</h2>
            <dl className="facts" data-testid="param-meta">
              <dt>Type</dt>
              <dd>{m.Type}</dd>
              <dt>Tier</dt>
              <dd>{m.Tier ?? 'Standard'}</dd>
              <dt>Version</dt>
              <dd>{m.Version}</dd>
              <dt>Description</dt>
              <dd>{m.Description || '—'}</dd>
              {m.Type === 'SecureString' ? (
                <>
                  <dt>KMS key</dt>
                  <dd className="mono break">{m.KeyId ?? 'alias/aws/ssm'}</dd>
                </>
              ) : null}
              <dt>Data type</dt>
              <dd>{m.DataType ?? 'text'}</dd>
              {m.AllowedPattern ? (
                <>
                  <dt>Allowed pattern</dt>
                  <dd className="mono">{m.AllowedPattern}</dd>
                </>
              ) : null}
              <dt>Last modified</dt>
              <dd>{formatTime(m.LastModifiedDate)}</dd>
              <dt>By</dt>
              <dd className="break">{m.LastModifiedUser ?? '—'}</dd>
              <dt>ARN</dt>
              <dd className="mono break">{m.ARN ?? '—'}</dd>
            </dl>
          </section>
          <section className="panel panel-wide" aria-labelledby="h-history">
            <h2 id="h-history">History and labels</h2>
            <History key={`${name}:${historyNonce}`} name={name} secure={m.Type === 'SecureString'} onChange={() => setHistoryNonce((n) => n + 1)} />
          </section>
        </div>
      ) : null}
    </Page>
  );
}

/** A SecureString is fetched decrypted only when the user asks, and forgotten when hidden. */
function Value({ name, type }: { name: string; type: string }) {
  const plain = useAsync(async (signal) => (type === 'SecureString' ? undefined : (await ssm<{ Parameter: Parameter }>('GetParameter', { Name: name }, { signal })).Parameter), [name, type]);
  const [revealed, setRevealed] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => () => setRevealed(undefined), [name]);

  if (type !== 'SecureString') {
    if (plain.loading) return <Loading />;
    if (plain.error !== undefined) return <ErrorBox error={plain.error} retry={plain.reload} />;
    return <pre className="value" data-testid="param-value">{plain.data?.Value}</pre>;
  }
  const reveal = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await ssm<{ Parameter: Parameter }>('GetParameter', { Name: name, WithDecryption: true });
      setRevealed(r.Parameter.Value ?? '');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      {revealed === undefined ? (
        <>
          <p className="secret-mask" aria-label="Hidden value">
            ••••••••••••
          </p>
          <button type="button" className="button" onClick={() => void reveal()} disabled={busy} data-testid="param-reveal">
            {busy ? 'Decrypting…' : 'Reveal'}
          </button>
          <p className="hint">Revealing decrypts the value with its KMS key; the call is recorded in the audit trail.</p>
        </>
      ) : (
        <>
          <pre className="value" data-testid="param-value-revealed">
            {revealed}
          </pre>
          <button type="button" className="button" onClick={() => setRevealed(undefined)} data-testid="param-hide">
            Hide
          </button>
        </>
      )}
      {error !== undefined ? <ErrorBox error={error} title="The value could not be decrypted" /> : null}
    </div>
  );
}

function History({ name, secure, onChange }: { name: string; secure: boolean; onChange: () => void }) {
  const [pages, setPages] = useState<ParameterHistory[]>([]);
  const [token, setToken] = useState<string>();
  const [more, setMore] = useState<string | undefined>(undefined);
  const h = useAsync(
    async (signal) => {
      const r = await ssm<{ Parameters?: ParameterHistory[]; NextToken?: string }>('GetParameterHistory', { Name: name, MaxResults: 50, ...(token ? { NextToken: token } : {}) }, { signal });
      return r;
    },
    [name, token],
  );
  useEffect(() => {
    if (h.data) {
      setPages((old) => (token ? [...old, ...(h.data!.Parameters ?? [])] : (h.data!.Parameters ?? [])));
      setMore(h.data.NextToken || undefined);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [h.data]);

  const versions = [...pages].sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0));
  const [labelDraft, setLabelDraft] = useState({ version: '', labels: '' });
  const [labelMsg, setLabelMsg] = useState<{ ok: boolean; text: string }>();

  const addLabels = async (e: FormEvent) => {
    e.preventDefault();
    setLabelMsg(undefined);
    const labels = labelDraft.labels.split(',').map((l) => l.trim()).filter(Boolean);
    if (!labels.length) return setLabelMsg({ ok: false, text: 'Give one or more labels, comma-separated.' });
    try {
      const r = await ssm<{ InvalidLabels?: string[]; ParameterVersion?: number }>('LabelParameterVersion', { Name: name, Labels: labels, ...(labelDraft.version ? { ParameterVersion: Number(labelDraft.version) } : {}) });
      if (r.InvalidLabels?.length) setLabelMsg({ ok: false, text: `Not valid labels: ${r.InvalidLabels.join(', ')}. Labels use letters, digits, . - _ and do not begin with a digit, aws or ssm.` });
      else {
        setLabelMsg({ ok: true, text: `Labelled version ${r.ParameterVersion}.` });
        onChange();
      }
    } catch (err) {
      setLabelMsg({ ok: false, text: describeError(err).message });
    }
  };
  const removeLabel = async (version: number, label: string) => {
    try {
      await ssm('UnlabelParameterVersion', { Name: name, ParameterVersion: version, Labels: [label] });
      onChange();
    } catch (err) {
      setLabelMsg({ ok: false, text: describeError(err).message });
    }
  };

  if (h.loading && !pages.length) return <Loading />;
  if (h.error !== undefined) return <ErrorBox error={h.error} retry={h.reload} />;
  return (
    <>
      <div className="table-wrap">
        <table className="table" data-testid="param-history">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Value</th>
              <th scope="col">Labels</th>
              <th scope="col">Modified</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.Version} data-testid="param-history-row">
                <td>{v.Version}</td>
                <td className="truncate value-cell">{secure ? <span className="muted">hidden</span> : <code>{v.Value}</code>}</td>
                <td>
                  {(v.Labels ?? []).map((l) => (
                    <span key={l} className="chip">
                      {l}
                      <button type="button" className="chip-remove" aria-label={`Remove label ${l} from version ${v.Version}`} onClick={() => void removeLabel(v.Version!, l)}>
                        ×
                      </button>
                    </span>
                  ))}
                </td>
                <td>{formatTime(v.LastModifiedDate)}</td>
                <td className="truncate" title={v.LastModifiedUser}>
                  {v.LastModifiedUser?.split('/').pop() ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {more ? (
        <button type="button" className="button" onClick={() => setToken(more)} disabled={h.loading}>
          Older versions
        </button>
      ) : null}
      <form className="inline-form" onSubmit={addLabels} aria-label="Add labels">
        <div className="field">
          <label htmlFor="label-version">Version</label>
          <select id="label-version" value={labelDraft.version} onChange={(e) => setLabelDraft((d) => ({ ...d, version: e.target.value }))}>
            <option value="">Latest</option>
            {versions.map((v) => (
              <option key={v.Version} value={v.Version}>
                {v.Version}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="label-names">Labels</label>
          <input id="label-names" placeholder="prod, stable" value={labelDraft.labels} onChange={(e) => setLabelDraft((d) => ({ ...d, labels: e.target.value }))} data-testid="param-label-input" />
        </div>
        <button type="submit" className="button" data-testid="param-label-add">
          Add labels
        </button>
      </form>
      {labelMsg ? (
        <p className={labelMsg.ok ? 'callout callout-good' : 'field-error'} role="status">
          {labelMsg.text}
        </p>
      ) : null}
    </>
  );
}
