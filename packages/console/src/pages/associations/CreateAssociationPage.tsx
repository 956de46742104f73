import { useEffect, useState, type FormEvent } from 'react';
import { allPages, ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { AssociationDescription, DocumentDescription, DocumentIdentifier, GetDocumentResult } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery } from '../../router/router';
import { ParamInput } from '../run-command/ParamInput';
import { initialValues, paramSpecs, type ParamSpec } from '../run-command/params';
import { TargetPicker, type TagTarget, type TargetMode } from '../run-command/TargetPicker';
import { formIsValid, refusalPlace, toCreateAssociationInput, validateAssociationForm, type AssociationForm, type FormField } from './associations';

/** Schedules people start from; the text box takes any cron() or rate() expression. */
const SCHEDULE_EXAMPLES: { expression: string; meaning: string }[] = [
  { expression: 'rate(30 minutes)', meaning: 'every 30 minutes' },
  { expression: 'rate(1 day)', meaning: 'once a day' },
  { expression: 'cron(0 2 ? * * *)', meaning: 'at 02:00 UTC every day' },
  { expression: 'cron(0 3 ? * SUN *)', meaning: 'at 03:00 UTC on Sundays' },
];

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNSPECIFIED'];

type ListPage = { DocumentIdentifiers?: DocumentIdentifier[]; NextToken?: string };

export function CreateAssociationPage() {
  const [query] = useQuery();
  // Owner takes one value a call, so your documents and the built-in ones are two listings.
  const docs = useAsync(async (signal) => {
    const list = (owner: string) =>
      allPages<ListPage, DocumentIdentifier>('ListDocuments', { MaxResults: 50, Filters: [{ Key: 'DocumentType', Values: ['Command'] }, { Key: 'Owner', Values: [owner] }] }, (p) => p.DocumentIdentifiers, { signal, limit: 2000 });
    const [own, builtIn] = await Promise.all([list('Self'), list('Amazon')]);
    const byName = (x: DocumentIdentifier, y: DocumentIdentifier) => x.Name.localeCompare(y.Name);
    return [
      { label: 'Your documents', items: own.sort(byName) },
      { label: 'Built-in documents', items: builtIn.sort(byName) },
    ].filter((g) => g.items.length > 0);
  }, []);
  const [docName, setDocName] = useState(query.get('document') ?? '');
  const [version, setVersion] = useState('$DEFAULT');
  useEffect(() => {
    if (docName || !docs.data?.length) return;
    const all = docs.data.flatMap((g) => g.items);
    setDocName(all.find((d) => d.Name === 'AWS-RunShellScript')?.Name ?? all[0]!.Name);
  }, [docs.data, docName]);

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
      title="Create association"
      testId="association-create-page"
      actions={
        <Link to="/state-manager" className="button">
          All associations
        </Link>
      }
    >
      {docs.loading ? <Loading label="Loading documents…" /> : null}
      {docs.error !== undefined ? <ErrorBox error={docs.error} retry={docs.reload} title="The documents could not be listed" /> : null}
      {docs.data && docs.data.length === 0 ? <p className="empty">There are no Command documents in this region.</p> : null}
      {docs.data?.length ? (
        <CreateForm
          groups={docs.data}
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

function CreateForm({
  groups,
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
  groups: { label: string; items: DocumentIdentifier[] }[];
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
  const [mode, setMode] = useState<TargetMode>('ids');
  const [ids, setIds] = useState<string[]>(initialIds.slice(0, 50));
  const [tags, setTags] = useState<TagTarget[]>([{ key: '', values: '' }]);
  const [opts, setOpts] = useState({ schedule: 'rate(30 minutes)', applyOnlyAtCronInterval: false, name: '', maxConcurrency: '', maxErrors: '', complianceSeverity: '' });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<{ code: string; message: string; field?: FormField | undefined; param?: string | undefined }>();

  useEffect(() => {
    if (doc) setValues(initialValues(doc.specs));
    setTouched(false);
  }, [doc]);

  const specs = doc?.specs ?? [];
  const form: AssociationForm = { document: docName, version, values, targetMode: mode, ids, tags, ...opts };
  const check = validateAssociationForm(form, specs);
  const fieldErrors: Partial<Record<FormField, string>> = touched ? { ...check.fields } : {};
  const paramErrors: Record<string, string> = touched ? { ...check.params } : {};
  // The server's word sits by the field it is about, until that field is changed.
  if (refusal?.param) paramErrors[refusal.param] ??= refusal.message;
  else if (refusal?.field) fieldErrors[refusal.field] ??= refusal.message;
  const clearRefusal = (field: FormField) => {
    if (refusal?.field === field) setRefusal({ ...refusal, field: undefined, param: undefined });
  };
  const setOpt = <K extends keyof typeof opts>(k: K, v: (typeof opts)[K], field: FormField) => {
    setOpts((o) => ({ ...o, [k]: v }));
    clearRefusal(field);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setRefusal(undefined);
    if (!doc || !formIsValid(check)) return;
    setBusy(true);
    try {
      const r = await ssm<{ AssociationDescription: AssociationDescription }>('CreateAssociation', toCreateAssociationInput(form, specs));
      navigate(`/state-manager/associations/${r.AssociationDescription.AssociationId}`);
    } catch (err) {
      const d = describeError(err);
      setRefusal({ ...d, ...refusalPlace(d.code, d.message, specs) });
      setBusy(false);
    }
  };

  const latest = Number(doc?.description.LatestVersion ?? 0);
  const versions = ['$DEFAULT', '$LATEST', ...Array.from({ length: Math.min(latest, 50) }, (_, i) => String(latest - i))];
  const invalid = touched && !formIsValid(check);

  return (
    <form className="form run-form" onSubmit={submit} noValidate data-testid="assoc-form">
      <section className="panel" aria-labelledby="h-assoc-doc">
        <h2 id="h-assoc-doc">Document</h2>
        <div className="row">
          <Field label="Document" required error={fieldErrors.document}>
            {(fids) => (
              <select
                {...fids}
                value={docName}
                onChange={(e) => {
                  onDoc(e.target.value);
                  clearRefusal('document');
                }}
                data-testid="assoc-document"
              >
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
          <Field label="Version" hint="Default follows the document's default version as it changes.">
            {(fids) => (
              <select
                {...fids}
                value={version}
                onChange={(e) => {
                  onVersion(e.target.value);
                  clearRefusal('document');
                }}
                data-testid="assoc-document-version"
              >
                {versions.map((v) => (
                  <option key={v} value={v}>
                    {v === '$DEFAULT' ? `Default${doc?.description.DefaultVersion ? ` (now ${doc.description.DefaultVersion})` : ''}` : v === '$LATEST' ? 'Latest' : v}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {doc?.description.Description ? <p className="hint">{doc.description.Description}</p> : null}
        <Link to={`/documents/view/${encodeURIComponent(docName)}`} className="small">
          View the document
        </Link>
      </section>

      <section className="panel" aria-labelledby="h-assoc-params">
        <h2 id="h-assoc-params">Parameters</h2>
        {docLoading ? <Loading label="Loading the document…" /> : null}
        {docError !== undefined ? <ErrorBox error={docError} retry={retryDoc} /> : null}
        {doc && !docLoading && specs.length === 0 ? <p className="empty">This document takes no parameters.</p> : null}
        {!docLoading && doc
          ? specs.map((s) => (
              <ParamInput
                key={s.name}
                spec={s}
                testIdPrefix="assoc-param-"
                value={values[s.name] ?? ''}
                error={paramErrors[s.name]}
                onChange={(v) => {
                  setValues((old) => ({ ...old, [s.name]: v }));
                  if (refusal?.param === s.name) setRefusal({ ...refusal, field: undefined, param: undefined });
                }}
              />
            ))
          : null}
        {fieldErrors.parameters ? (
          <p className="field-error" data-testid="assoc-params-error">
            {fieldErrors.parameters}
          </p>
        ) : null}
      </section>

      <section className="panel" aria-labelledby="h-assoc-targets">
        <h2 id="h-assoc-targets">Targets</h2>
        <p className="hint">The association also runs on nodes that match later: a node given the tag, a node that registers.</p>
        <TargetPicker
          mode={mode}
          onMode={(m) => {
            setMode(m);
            clearRefusal('targets');
          }}
          ids={ids}
          onIds={(v) => {
            setIds(v);
            clearRefusal('targets');
          }}
          tags={tags}
          onTags={(v) => {
            setTags(v);
            clearRefusal('targets');
          }}
          error={fieldErrors.targets}
          testIdPrefix="assoc-"
        />
      </section>

      <section className="panel" aria-labelledby="h-assoc-schedule">
        <h2 id="h-assoc-schedule">Schedule</h2>
        <Field
          label="Schedule expression"
          hint={
            <>
              A <code>rate()</code> or <code>cron()</code> expression, in UTC; empty runs it once, now. Examples:{' '}
              {SCHEDULE_EXAMPLES.map((x, i) => (
                <span key={x.expression}>
                  {i ? ', ' : ''}
                  <button type="button" className="link-button mono" onClick={() => setOpt('schedule', x.expression, 'schedule')} aria-label={`Use ${x.expression}, ${x.meaning}`} data-testid={`assoc-schedule-example-${i}`}>
                    {x.expression}
                  </button>{' '}
                  <span className="muted">({x.meaning})</span>
                </span>
              ))}
              .
            </>
          }
          error={fieldErrors.schedule}
        >
          {(fids) => <input {...fids} className="mono" spellCheck={false} value={opts.schedule} onChange={(e) => setOpt('schedule', e.target.value, 'schedule')} data-testid="assoc-schedule" />}
        </Field>
        <div className={fieldErrors.applyOnlyAtCronInterval ? 'field-invalid' : undefined}>
          <div className="field field-check">
            <input
              id="assoc-cron-only"
              type="checkbox"
              checked={opts.applyOnlyAtCronInterval}
              onChange={(e) => setOpt('applyOnlyAtCronInterval', e.target.checked, 'applyOnlyAtCronInterval')}
              aria-describedby={fieldErrors.applyOnlyAtCronInterval ? 'assoc-cron-only-hint assoc-cron-only-err' : 'assoc-cron-only-hint'}
              aria-invalid={fieldErrors.applyOnlyAtCronInterval ? true : undefined}
              data-testid="assoc-apply-only-at-cron"
            />
            <label htmlFor="assoc-cron-only">Run only at the scheduled times</label>
          </div>
          <p className="hint" id="assoc-cron-only-hint">
            Otherwise it runs at once when created, then on schedule. Needs a cron() schedule.
          </p>
          {fieldErrors.applyOnlyAtCronInterval ? (
            <p className="field-error" id="assoc-cron-only-err">
              {fieldErrors.applyOnlyAtCronInterval}
            </p>
          ) : null}
        </div>
      </section>

      <section className="panel" aria-labelledby="h-assoc-options">
        <h2 id="h-assoc-options">Name and rate control</h2>
        <div className="row">
          <Field label="Association name" hint="Optional: 3 to 128 letters, digits, _, - or ." error={fieldErrors.name}>
            {(fids) => <input {...fids} value={opts.name} onChange={(e) => setOpt('name', e.target.value, 'name')} data-testid="assoc-name" />}
          </Field>
          <Field label="Compliance severity">
            {(fids) => (
              <select {...fids} value={opts.complianceSeverity} onChange={(e) => setOpts((o) => ({ ...o, complianceSeverity: e.target.value }))} data-testid="assoc-compliance-severity">
                <option value="">Not set</option>
                {SEVERITIES.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <div className="row">
          <Field label="Concurrency" hint="Nodes at a time: a number or a percentage. Empty for all at once." error={fieldErrors.maxConcurrency}>
            {(fids) => <input {...fids} value={opts.maxConcurrency} placeholder="100%" onChange={(e) => setOpt('maxConcurrency', e.target.value, 'maxConcurrency')} data-testid="assoc-max-concurrency" />}
          </Field>
          <Field label="Error threshold" hint="Stop after this many failures: a number or a percentage. Empty for no threshold." error={fieldErrors.maxErrors}>
            {(fids) => <input {...fids} value={opts.maxErrors} onChange={(e) => setOpt('maxErrors', e.target.value, 'maxErrors')} data-testid="assoc-max-errors" />}
          </Field>
        </div>
      </section>

      {refusal ? (
        <div className="error-box" role="alert" data-testid="assoc-error">
          <p>
            <strong>The association was not created.</strong> <code className="error-code" data-testid="assoc-error-code">{refusal.code}</code>
          </p>
          <p className="error-message" data-testid="assoc-error-message">
            {refusal.message}
          </p>
        </div>
      ) : null}
      {invalid ? (
        <p className="field-error" role="alert" data-testid="assoc-invalid">
          Correct the fields marked above.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || !doc || docLoading} data-testid="assoc-submit">
          {busy ? 'Creating…' : 'Create association'}
        </button>
      </div>
    </form>
  );
}
