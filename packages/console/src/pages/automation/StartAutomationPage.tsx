import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { allPages, ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { DocumentDescription, DocumentIdentifier, ExecutionMode, GetDocumentResult } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery } from '../../router/router';
import { ParamInput } from '../run-command/ParamInput';
import { initialValues, paramSpecs, validateAll, type ParamSpec } from '../run-command/params';
import { stepDefinitions, type StepDefinition } from './graph';
import { parameterNamed, toAutomationParameters } from './params';

interface Runbook {
  description: DocumentDescription;
  specs: ParamSpec[];
  steps: StepDefinition[];
}

export function StartAutomationPage() {
  const [query] = useQuery();
  const docs = useAsync(
    (signal) =>
      allPages<{ DocumentIdentifiers?: DocumentIdentifier[]; NextToken?: string }, DocumentIdentifier>('ListDocuments', { MaxResults: 50, Filters: [{ Key: 'DocumentType', Values: ['Automation'] }] }, (p) => p.DocumentIdentifiers, {
        signal,
        limit: 2000,
      }),
    [],
  );
  const [docName, setDocName] = useState(query.get('document') ?? '');
  // `param.NAME=value` in the link fills a parameter: pages that send people here (a node's diagnosis) know the node.
  const prefill = useMemo(() => Object.fromEntries([...query.entries()].filter(([k]) => k.startsWith('param.')).map(([k, v]) => [k.slice('param.'.length), v])), [query]);
  const [version, setVersion] = useState('$DEFAULT');

  const sorted = useMemo(() => (docs.data ?? []).slice().sort((a, b) => a.Name.localeCompare(b.Name)), [docs.data]);
  // Your own runbooks first: they are what people come here to run; the built-in ones follow.
  const groups = useMemo(() => {
    const own = sorted.filter((d) => d.Owner !== 'Amazon');
    const builtIn = sorted.filter((d) => d.Owner === 'Amazon');
    return [
      { label: 'Your runbooks', items: own },
      { label: 'Built-in runbooks', items: builtIn },
    ].filter((g) => g.items.length > 0);
  }, [sorted]);
  useEffect(() => {
    if (!docName && groups.length) setDocName(groups[0]!.items[0]!.Name);
  }, [groups, docName]);

  const doc = useAsync(
    async (signal): Promise<Runbook | undefined> => {
      if (!docName) return undefined;
      const v = version === '$DEFAULT' ? {} : { DocumentVersion: version };
      const [d, c] = await Promise.all([
        ssm<{ Document: DocumentDescription }>('DescribeDocument', { Name: docName, ...v }, { signal }),
        ssm<GetDocumentResult>('GetDocument', { Name: docName, DocumentFormat: 'JSON', ...v }, { signal }).catch(() => undefined),
      ]);
      return { description: d.Document, specs: paramSpecs(d.Document.Parameters, c?.Content), steps: stepDefinitions(c?.Content) };
    },
    [docName, version],
  );

  return (
    <Page
      title="Start automation"
      testId="automation-start-page"
      actions={
        <Link to="/automation" className="button">
          Executions
        </Link>
      }
    >
      {docs.loading ? <Loading label="Loading runbooks…" /> : null}
      {docs.error !== undefined ? <ErrorBox error={docs.error} retry={docs.reload} title="The runbooks could not be listed" /> : null}
      {docs.data && docs.data.length === 0 ? <p className="empty">There are no Automation runbooks in this region. Create one on the Documents page, with the type Automation.</p> : null}
      {docs.data && docs.data.length > 0 ? (
        <StartForm
          groups={groups}
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
          prefill={prefill}
        />
      ) : null}
    </Page>
  );
}

function StartForm({
  groups,
  docName,
  onDoc,
  version,
  onVersion,
  doc,
  docLoading,
  docError,
  retryDoc,
  prefill,
}: {
  groups: { label: string; items: DocumentIdentifier[] }[];
  docName: string;
  onDoc: (n: string) => void;
  version: string;
  onVersion: (v: string) => void;
  doc: Runbook | undefined;
  docLoading: boolean;
  docError: unknown;
  retryDoc: () => void;
  prefill: Record<string, string>;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [mode, setMode] = useState<ExecutionMode>('Auto');
  const [busy, setBusy] = useState(false);
  const [startError, setStartError] = useState<{ code: string; message: string; param?: string | undefined }>();

  useEffect(() => {
    if (doc) {
      const given = Object.fromEntries(Object.entries(prefill).filter(([name]) => doc.specs.some((p) => p.name === name)));
      setValues({ ...initialValues(doc.specs), ...given });
    }
    setTouched(false);
    setStartError(undefined);
    // A new document resets the form; the values from the link apply whenever their parameter exists.
  }, [doc]);

  const specs = doc?.specs ?? [];
  const paramErrors = touched ? validateAll(specs, values) : {};
  if (startError?.param && !paramErrors[startError.param]) paramErrors[startError.param] = startError.message;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setStartError(undefined);
    if (!doc || Object.keys(validateAll(specs, values)).length) return;
    setBusy(true);
    try {
      const r = await ssm<{ AutomationExecutionId: string }>('StartAutomationExecution', {
        DocumentName: docName,
        ...(version !== '$DEFAULT' ? { DocumentVersion: version } : {}),
        Parameters: toAutomationParameters(specs, values),
        Mode: mode,
      });
      navigate(`/automation/executions/${r.AutomationExecutionId}`);
    } catch (err) {
      const d = describeError(err);
      setStartError({ ...d, param: parameterNamed(d.message, specs) });
      setBusy(false);
    }
  };

  const latest = Number(doc?.description.LatestVersion ?? 0);
  const versions = ['$DEFAULT', '$LATEST', ...Array.from({ length: Math.min(latest, 50) }, (_, i) => String(latest - i))];
  const invalid = touched && Object.keys(validateAll(specs, values)).length > 0;

  return (
    <form className="form run-form" onSubmit={submit} noValidate data-testid="auto-form">
      <section className="panel" aria-labelledby="h-runbook">
        <h2 id="h-runbook">Runbook</h2>
        <div className="row">
          <Field label="Runbook" required>
            {(ids) => (
              <select {...ids} value={docName} onChange={(e) => onDoc(e.target.value)} data-testid="auto-document">
                {groups.map((g) => (
                  <optgroup key={g.label} label={g.label}>
                    {g.items.map((d) => (
                      <option key={d.Name} value={d.Name}>
                        {d.DisplayName ? `${d.Name} — ${d.DisplayName}` : d.Name}
                      </option>
                    ))}
                  </optgroup>
                ))}
              </select>
            )}
          </Field>
          <Field label="Version">
            {(ids) => (
              <select {...ids} value={version} onChange={(e) => onVersion(e.target.value)} data-testid="auto-document-version">
                {versions.map((v) => (
                  <option key={v} value={v}>
                    {v === '$DEFAULT' ? `Default${doc?.description.DefaultVersion ? ` (${doc.description.DefaultVersion})` : ''}` : v === '$LATEST' ? 'Latest' : v}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {doc?.description.Description ? <p className="hint pre-line" data-testid="auto-document-description">{doc.description.Description}</p> : null}
        {doc && doc.steps.length ? (
          <p className="muted small" data-testid="auto-document-steps">
            {doc.steps.length} {doc.steps.length === 1 ? 'step' : 'steps'}: {doc.steps.map((s) => `${s.name} (${s.action})`).join(' → ')}
          </p>
        ) : null}
        <Link to={`/documents/view/${encodeURIComponent(docName)}`} className="small">
          View the runbook
        </Link>
      </section>

      <section className="panel" aria-labelledby="h-auto-params">
        <h2 id="h-auto-params">Input parameters</h2>
        {docLoading ? <Loading label="Loading the runbook…" /> : null}
        {docError !== undefined ? <ErrorBox error={docError} retry={retryDoc} /> : null}
        {doc && !docLoading && specs.length === 0 ? <p className="empty">This runbook takes no parameters.</p> : null}
        {!docLoading && doc
          ? specs.map((s) => (
              <ParamInput
                key={s.name}
                spec={s}
                testIdPrefix="auto-param-"
                value={values[s.name] ?? ''}
                error={paramErrors[s.name]}
                onChange={(v) => {
                  setValues((old) => ({ ...old, [s.name]: v }));
                  if (startError?.param === s.name) setStartError({ ...startError, param: undefined });
                }}
              />
            ))
          : null}
      </section>

      <section className="panel" aria-labelledby="h-auto-mode">
        <h2 id="h-auto-mode">Execution mode</h2>
        <div className="segmented" role="radiogroup" aria-labelledby="h-auto-mode">
          {(
            [
              ['Auto', 'Auto: every step in turn'],
              ['Interactive', 'Interactive: step by step'],
            ] as const
          ).map(([m, label]) => (
            <label key={m}>
              <input type="radio" name="auto-mode" value={m} checked={mode === m} onChange={() => setMode(m)} data-testid={`auto-mode-${m}`} />
              {label}
            </label>
          ))}
        </div>
        <p className="hint">{mode === 'Auto' ? 'Runs every step in order, stopping only where a step waits (an approval, a pause).' : 'Waits before each step until you run it from the execution page.'}</p>
      </section>

      {startError ? (
        <div className="error-box" role="alert" data-testid="auto-start-error">
          <p>
            <strong>The automation was not started.</strong> <code className="error-code" data-testid="auto-start-error-code">{startError.code}</code>
          </p>
          <p className="error-message" data-testid="auto-start-error-message">
            {startError.message}
          </p>
        </div>
      ) : null}
      {invalid ? (
        <p className="field-error" role="alert" data-testid="auto-invalid">
          Correct the fields marked above.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || !doc || docLoading} data-testid="auto-submit">
          {busy ? 'Starting…' : 'Start automation'}
        </button>
      </div>
    </form>
  );
}
