import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { allPages, ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { Command, DocumentDescription, DocumentIdentifier, GetDocumentResult, Target } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery } from '../../router/router';
import { ParamInput } from './ParamInput';
import { initialValues, paramSpecs, toCommandParameters, validateAll, type ParamSpec } from './params';
import { TargetPicker, type TagTarget, type TargetMode } from './TargetPicker';

const CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const ERRORS = /^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$/;

export function RunCommandPage() {
  const [query] = useQuery();
  const docs = useAsync(
    (signal) =>
      allPages<{ DocumentIdentifiers?: DocumentIdentifier[]; NextToken?: string }, DocumentIdentifier>('ListDocuments', { MaxResults: 50, Filters: [{ Key: 'DocumentType', Values: ['Command'] }] }, (p) => p.DocumentIdentifiers, {
        signal,
        limit: 2000,
      }),
    [],
  );
  const [docName, setDocName] = useState(query.get('document') ?? '');
  const [version, setVersion] = useState('$DEFAULT');

  const sorted = useMemo(() => (docs.data ?? []).slice().sort((a, b) => a.Name.localeCompare(b.Name)), [docs.data]);
  useEffect(() => {
    if (!docName && sorted.length) setDocName(sorted.find((d) => d.Name === 'AWS-RunShellScript')?.Name ?? sorted[0]!.Name);
  }, [sorted, docName]);

  const doc = useAsync(
    async (signal) => {
      if (!docName) return undefined;
      const v = version === '$DEFAULT' ? {} : { DocumentVersion: version };
      const [d, c] = await Promise.all([
        ssm<{ Document: DocumentDescription }>('DescribeDocument', { Name: docName, ...v }, { signal }),
        ssm<GetDocumentResult>('GetDocument', { Name: docName, DocumentFormat: 'JSON', ...v }, { signal }).catch(() => undefined),
      ]);
      return { description: d.Document, specs: paramSpecs(d.Document.Parameters, c?.Content) };
    },
    [docName, version],
  );

  return (
    <Page
      title="Run Command"
      testId="run-command-page"
      actions={
        <Link to="/run-command/history" className="button" data-testid="run-history-link">
          Command history
        </Link>
      }
    >
      {docs.loading ? <Loading label="Loading documents…" /> : null}
      {docs.error !== undefined ? <ErrorBox error={docs.error} retry={docs.reload} title="The documents could not be listed" /> : null}
      {docs.data ? (
        <RunForm
          docs={sorted}
          docName={docName}
          onDoc={(n) => {
            setDocName(n);
            setVersion('$DEFAULT');
          }}
          version={version}
          onVersion={setVersion}
          doc={doc.data}
          docLoading={doc.loading}
          docError={doc.error}
          retryDoc={doc.reload}
          initialIds={(query.get('instanceIds') ?? '').split(',').filter(Boolean)}
        />
      ) : null}
    </Page>
  );
}

function RunForm({
  docs,
  docName,
  onDoc,
  version,
  onVersion,
  doc,
  docLoading,
  docError,
  retryDoc,
  initialIds,
}: {
  docs: DocumentIdentifier[];
  docName: string;
  onDoc: (n: string) => void;
  version: string;
  onVersion: (v: string) => void;
  doc: { description: DocumentDescription; specs: ParamSpec[] } | undefined;
  docLoading: boolean;
  docError: unknown;
  retryDoc: () => void;
  initialIds: string[];
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [mode, setMode] = useState<TargetMode>('ids');
  const [ids, setIds] = useState<string[]>(initialIds.slice(0, 50));
  const [tags, setTags] = useState<TagTarget[]>([{ key: '', values: '' }]);
  const [opts, setOpts] = useState({ maxConcurrency: '50', maxErrors: '0', timeout: '', comment: '' });
  const [busy, setBusy] = useState(false);
  const [sendError, setSendError] = useState<{ code: string; message: string }>();

  useEffect(() => {
    if (doc) setValues(initialValues(doc.specs));
    setTouched(false);
  }, [doc]);

  const specs = doc?.specs ?? [];
  const paramErrors = touched ? validateAll(specs, values) : {};
  const targets = (): { InstanceIds?: string[]; Targets?: Target[] } | string => {
    if (mode === 'ids') return ids.length ? { InstanceIds: ids } : 'Choose at least one node.';
    if (mode === 'all') return { Targets: [{ Key: 'InstanceIds', Values: ['*'] }] };
    const rows = tags.filter((t) => t.key.trim());
    if (!rows.length) return 'Give at least one tag key.';
    return {
      Targets: rows.map((t) => {
        const vals = t.values.split(',').map((v) => v.trim()).filter(Boolean);
        return vals.length ? { Key: `tag:${t.key.trim()}`, Values: vals } : { Key: 'tag-key', Values: [t.key.trim()] };
      }),
    };
  };
  const target = targets();
  const optErrors: Record<string, string> = {};
  if (touched) {
    if (!CONCURRENCY.test(opts.maxConcurrency)) optErrors.maxConcurrency = 'A number of nodes (1 or more) or a percentage such as 10%.';
    if (!ERRORS.test(opts.maxErrors)) optErrors.maxErrors = 'A number of errors (0 or more) or a percentage such as 10%.';
    if (opts.timeout && !(/^\d+$/.test(opts.timeout) && Number(opts.timeout) >= 30 && Number(opts.timeout) <= 2592000)) optErrors.timeout = 'Between 30 and 2592000 seconds.';
    if (opts.comment.length > 100) optErrors.comment = 'At most 100 characters.';
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setSendError(undefined);
    const errs = validateAll(specs, values);
    if (!doc || Object.keys(errs).length || typeof target === 'string') return;
    if (!CONCURRENCY.test(opts.maxConcurrency) || !ERRORS.test(opts.maxErrors) || opts.comment.length > 100) return;
    if (opts.timeout && !(/^\d+$/.test(opts.timeout) && Number(opts.timeout) >= 30 && Number(opts.timeout) <= 2592000)) return;
    setBusy(true);
    try {
      const input: Record<string, unknown> = {
        DocumentName: docName,
        ...(version !== '$DEFAULT' ? { DocumentVersion: version } : {}),
        ...target,
        Parameters: toCommandParameters(specs, values),
        MaxConcurrency: opts.maxConcurrency,
        MaxErrors: opts.maxErrors,
        ...(opts.timeout ? { TimeoutSeconds: Number(opts.timeout) } : {}),
        ...(opts.comment ? { Comment: opts.comment } : {}),
      };
      const r = await ssm<{ Command: Command }>('SendCommand', input);
      navigate(`/run-command/commands/${r.Command.CommandId}`);
    } catch (err) {
      setSendError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const latest = Number(doc?.description.LatestVersion ?? 0);
  const versions = ['$DEFAULT', '$LATEST', ...Array.from({ length: Math.min(latest, 50) }, (_, i) => String(latest - i))];

  return (
    <form className="form run-form" onSubmit={submit} noValidate data-testid="run-form">
      <section className="panel" aria-labelledby="h-doc">
        <h2 id="h-doc">Document</h2>
        <div className="row">
          <Field label="Document" required>
            {(ids) => (
              <select {...ids} value={docName} onChange={(e) => onDoc(e.target.value)} data-testid="run-document">
                {docs.map((d) => (
                  <option key={d.Name} value={d.Name}>
                    {d.Name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Version">
            {(ids) => (
              <select {...ids} value={version} onChange={(e) => onVersion(e.target.value)} data-testid="run-document-version">
                {versions.map((v) => (
                  <option key={v} value={v}>
                    {v === '$DEFAULT' ? `Default${doc?.description.DefaultVersion ? ` (${doc.description.DefaultVersion})` : ''}` : v === '$LATEST' ? 'Latest' : v}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {doc?.description.Description ? <p className="hint">{doc.description.Description}</p> : null}
        {doc?.description.PlatformTypes?.length ? <p className="muted small">Runs on {doc.description.PlatformTypes.join(', ')}.</p> : null}
        <Link to={`/documents/view/${encodeURIComponent(docName)}`} className="small">
          View the document
        </Link>
      </section>

      <section className="panel" aria-labelledby="h-params">
        <h2 id="h-params">Parameters</h2>
        {docLoading ? <Loading label="Loading the document…" /> : null}
        {docError !== undefined ? <ErrorBox error={docError} retry={retryDoc} /> : null}
        {doc && !docLoading && specs.length === 0 ? <p className="empty">This document takes no parameters.</p> : null}
        {!docLoading && doc ? specs.map((s) => <ParamInput key={s.name} spec={s} value={values[s.name] ?? ''} error={paramErrors[s.name]} onChange={(v) => setValues((old) => ({ ...old, [s.name]: v }))} />) : null}
      </section>

      <section className="panel" aria-labelledby="h-targets">
        <h2 id="h-targets">Where to run it</h2>
        <TargetPicker mode={mode} onMode={setMode} ids={ids} onIds={setIds} tags={tags} onTags={setTags} error={touched && typeof target === 'string' ? target : undefined} />
      </section>

      <section className="panel" aria-labelledby="h-rate">
        <h2 id="h-rate">Rate control and options</h2>
        <div className="row">
          <Field label="Concurrency" hint="Nodes at a time: a number or a percentage." error={optErrors.maxConcurrency}>
            {(ids) => <input {...ids} value={opts.maxConcurrency} onChange={(e) => setOpts((o) => ({ ...o, maxConcurrency: e.target.value }))} data-testid="run-max-concurrency" />}
          </Field>
          <Field label="Error threshold" hint="Stop sending after this many failures: a number or a percentage." error={optErrors.maxErrors}>
            {(ids) => <input {...ids} value={opts.maxErrors} onChange={(e) => setOpts((o) => ({ ...o, maxErrors: e.target.value }))} data-testid="run-max-errors" />}
          </Field>
          <Field label="Delivery timeout (seconds)" hint="How long a node may take to start it; empty for the default (3600)." error={optErrors.timeout}>
            {(ids) => <input {...ids} inputMode="numeric" value={opts.timeout} onChange={(e) => setOpts((o) => ({ ...o, timeout: e.target.value }))} data-testid="run-timeout" />}
          </Field>
        </div>
        <Field label="Comment" hint="Up to 100 characters, shown in the command history." error={optErrors.comment}>
          {(ids) => <input {...ids} maxLength={100} value={opts.comment} onChange={(e) => setOpts((o) => ({ ...o, comment: e.target.value }))} data-testid="run-comment" />}
        </Field>
      </section>

      {sendError ? (
        <div className="error-box" role="alert" data-testid="run-error">
          <p>
            <strong>The command was not sent.</strong> <code className="error-code">{sendError.code}</code>
          </p>
          <p className="error-message">{sendError.message}</p>
        </div>
      ) : null}
      {touched && (Object.keys(paramErrors).length > 0 || typeof target === 'string' || Object.keys(optErrors).length > 0) ? (
        <p className="field-error" role="alert" data-testid="run-invalid">
          Correct the fields marked above.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || !doc} data-testid="run-submit">
          {busy ? 'Sending…' : 'Run'}
        </button>
      </div>
    </form>
  );
}
