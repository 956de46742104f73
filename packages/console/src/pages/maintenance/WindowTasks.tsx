import { useEffect, useState, type FormEvent } from 'react';
import { allPages, ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { DocumentDescription, DocumentIdentifier, GetDocumentResult, MaintenanceWindow, MaintenanceWindowTarget, MaintenanceWindowTask } from '../../api/types';
import { Field } from '../../components/Field';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';
import { ParamInput } from '../run-command/ParamInput';
import { initialValues, paramSpecs, type ParamSpec } from '../run-command/params';
import { TargetPicker } from '../run-command/TargetPicker';
import { taskFormIsValid, taskRefusalPlace, taskTargetsSummary, toRegisterTaskInput, validateTaskForm, type TaskField, type TaskForm } from './windows';

/** The window's tasks in the order they run (priority, lowest first), and the form that registers a Run Command task. */
export function WindowTasks({ id, window: w, targets }: { id: string; window: MaintenanceWindow; targets: MaintenanceWindowTarget[] }) {
  const tasks = useAsync(
    (signal) =>
      allPages<{ Tasks?: MaintenanceWindowTask[]; NextToken?: string }, MaintenanceWindowTask>('DescribeMaintenanceWindowTasks', { WindowId: id, MaxResults: 100 }, (p) => p.Tasks, { signal, limit: 1000 }),
    [id],
  );
  const [adding, setAdding] = useState(false);
  const [confirm, setConfirm] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>();
  const list = tasks.data ?? [];

  const deregister = async (taskId: string) => {
    setBusy(true);
    setRemoveError(undefined);
    try {
      await ssm('DeregisterTaskFromMaintenanceWindow', { WindowId: id, WindowTaskId: taskId });
      setConfirm(undefined);
      tasks.reload();
    } catch (e) {
      setRemoveError(e);
      setConfirm(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="h-mw-tasks">
      <div className="panel-head">
        <h2 id="h-mw-tasks">Tasks</h2>
        {adding ? null : (
          <button type="button" className="button" onClick={() => setAdding(true)} data-testid="mw-task-add">
            Register a Run Command task
          </button>
        )}
      </div>
      {adding ? (
        <RegisterTaskForm
          id={id}
          window={w}
          targets={targets}
          nextPriority={list.length ? Math.max(...list.map((t) => t.Priority ?? 0)) + 1 : 1}
          onDone={(registered) => {
            setAdding(false);
            if (registered) tasks.reload();
          }}
        />
      ) : null}
      {tasks.loading && !tasks.data ? <Loading /> : null}
      {tasks.error !== undefined ? <ErrorBox error={tasks.error} retry={tasks.reload} /> : null}
      {removeError !== undefined ? <ErrorBox error={removeError} title="The task was not deregistered" testId="mw-task-error" /> : null}
      {tasks.data && list.length === 0 ? <Empty>No tasks: the window opens and does nothing.</Empty> : null}
      {list.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="mw-tasks">
            <thead>
              <tr>
                <th scope="col">Priority</th>
                <th scope="col">Task</th>
                <th scope="col">Runs</th>
                <th scope="col">On</th>
                <th scope="col">Rate</th>
                <th scope="col">At the cutoff</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.WindowTaskId} data-testid="mw-task-row" data-task-id={t.WindowTaskId}>
                  <td>{t.Priority ?? '—'}</td>
                  <td>
                    {t.Name || <span className="muted">unnamed</span>}
                    <div className="muted small mono">{t.WindowTaskId}</div>
                  </td>
                  <td>
                    <span className="muted small">{t.Type} </span>
                    {t.TaskArn && (t.Type === 'RUN_COMMAND' || t.Type === 'AUTOMATION') ? <Link to={`/documents/view/${encodeURIComponent(t.TaskArn)}`}>{t.TaskArn}</Link> : <span className="break">{t.TaskArn}</span>}
                    <TaskParameters values={t.TaskParameters} />
                  </td>
                  <td className="break">{taskTargetsSummary(t.Targets, targets)}</td>
                  <td className="small">
                    {t.MaxConcurrency ?? '—'} at a time, stop after {t.MaxErrors ?? '—'} errors
                  </td>
                  <td className="small">{t.CutoffBehavior === 'CANCEL_TASK' ? 'Cancel the task' : 'Let it finish'}</td>
                  <td>
                    {confirm === t.WindowTaskId ? (
                      <span className="confirm" role="group" aria-label="Confirm deregistering">
                        <button type="button" className="button button-danger button-small" onClick={() => void deregister(t.WindowTaskId)} disabled={busy} data-testid="mw-task-deregister-confirm">
                          {busy ? 'Deregistering…' : 'Yes, deregister'}
                        </button>{' '}
                        <button type="button" className="button button-small" onClick={() => setConfirm(undefined)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button type="button" className="button button-small" onClick={() => setConfirm(t.WindowTaskId)} aria-label={`Deregister ${t.Name || t.WindowTaskId}`} data-testid="mw-task-deregister">
                        Deregister
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
  );
}

function TaskParameters({ values }: { values: MaintenanceWindowTask['TaskParameters'] }) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return null;
  return (
    <dl className="mw-task-params small" data-testid="mw-task-params">
      {entries.map(([k, v]) => (
        <div key={k} data-key={k}>
          <dt className="mono">{k}</dt>
          <dd className="mono break">{(v.Values ?? []).join(' ⏎ ')}</dd>
        </div>
      ))}
    </dl>
  );
}

type ListPage = { DocumentIdentifiers?: DocumentIdentifier[]; NextToken?: string };

function RegisterTaskForm({ id, window: w, targets, nextPriority, onDone }: { id: string; window: MaintenanceWindow; targets: MaintenanceWindowTarget[]; nextPriority: number; onDone: (registered: boolean) => void }) {
  // Owner takes one value a call, so yours and the built-in documents are two listings.
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
  const [form, setForm] = useState<TaskForm>({
    document: '',
    version: '$DEFAULT',
    values: {},
    targetMode: 'window',
    windowTargetIds: targets.length === 1 ? [targets[0]!.WindowTargetId] : [],
    ids: [],
    tags: [{ key: '', values: '' }],
    priority: String(nextPriority),
    maxConcurrency: '1',
    maxErrors: '0',
    cutoffBehavior: 'CONTINUE_TASK',
    name: '',
    timeoutSeconds: '',
    comment: '',
  });
  useEffect(() => {
    if (form.document || !docs.data?.length) return;
    const all = docs.data.flatMap((g) => g.items);
    setForm((f) => ({ ...f, document: all.find((d) => d.Name === 'AWS-RunShellScript')?.Name ?? all[0]!.Name }));
  }, [docs.data, form.document]);

  const doc = useAsync(
    async (signal) => {
      if (!form.document) return undefined;
      const v = form.version === '$DEFAULT' ? {} : { DocumentVersion: form.version };
      const [d, c] = await Promise.all([
        ssm<{ Document: DocumentDescription }>('DescribeDocument', { Name: form.document, ...v }, { signal }),
        ssm<GetDocumentResult>('GetDocument', { Name: form.document, DocumentFormat: 'JSON', ...v }, { signal }).catch(() => undefined),
      ]);
      return { description: d.Document, specs: paramSpecs(d.Document.Parameters, c?.Content) };
    },
    [form.document, form.version],
  );
  useEffect(() => {
    if (doc.data) setForm((f) => ({ ...f, values: initialValues(doc.data!.specs) }));
  }, [doc.data]);

  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<{ error: unknown; message: string; field?: TaskField | undefined; param?: string | undefined }>();
  const specs: ParamSpec[] = doc.data?.specs ?? [];
  const check = validateTaskForm(form, specs);
  const errors: Partial<Record<TaskField, string>> = touched ? { ...check.fields } : {};
  const paramErrors: Record<string, string> = touched ? { ...check.params } : {};
  if (refusal?.param) paramErrors[refusal.param] ??= refusal.message;
  else if (refusal?.field) errors[refusal.field] ??= refusal.message;
  const set = <K extends keyof TaskForm>(k: K, v: TaskForm[K], field: TaskField) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (refusal?.field === field) setRefusal({ ...refusal, field: undefined, param: undefined });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setRefusal(undefined);
    if (!doc.data || !taskFormIsValid(check)) return;
    setBusy(true);
    try {
      await ssm('RegisterTaskWithMaintenanceWindow', toRegisterTaskInput(id, form, specs));
      onDone(true);
    } catch (err) {
      const d = describeError(err);
      setRefusal({ error: err, message: d.message, ...taskRefusalPlace(d.code, d.message, specs) });
      setBusy(false);
    }
  };

  const latest = Number(doc.data?.description.LatestVersion ?? 0);
  const versions = ['$DEFAULT', '$LATEST', ...Array.from({ length: Math.min(latest, 50) }, (_, i) => String(latest - i))];
  const invalid = touched && !taskFormIsValid(check);

  if (docs.loading) return <Loading label="Loading documents…" />;
  if (docs.error !== undefined) return <ErrorBox error={docs.error} retry={docs.reload} title="The documents could not be listed" />;

  return (
    <form className="form mw-subform" onSubmit={submit} noValidate aria-label="Register a Run Command task" data-testid="mw-task-form">
      <fieldset className="mw-fieldset">
        <legend>Document</legend>
        <div className="row">
          <Field label="Command document" required error={errors.document}>
            {(ids) => (
              <select {...ids} value={form.document} onChange={(e) => setForm((f) => ({ ...f, document: e.target.value, version: '$DEFAULT' }))} data-testid="mw-task-document">
                {(docs.data ?? []).map((g) => (
                  <optgroup key={g.label} label={g.label}>
                    {g.items.map((d) => (
                      <option key={d.Name} value={d.Name}>
                        {d.Name}
                      </option>
                    ))}
                  </optgroup>
                ))}
              </select>
            )}
          </Field>
          <Field label="Version">
            {(ids) => (
              <select {...ids} value={form.version} onChange={(e) => setForm((f) => ({ ...f, version: e.target.value }))} data-testid="mw-task-document-version">
                {versions.map((v) => (
                  <option key={v} value={v}>
                    {v === '$DEFAULT' ? 'Default version' : v === '$LATEST' ? 'Latest version' : v}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      </fieldset>

      <fieldset className="mw-fieldset">
        <legend>Parameters</legend>
        <p className="hint">
          <code>{'{{RESOURCE_ID}}'}</code>, <code>{'{{WINDOW_ID}}'}</code>, <code>{'{{WINDOW_EXECUTION_ID}}'}</code> and the window's other pseudo-parameters are filled in for each node.
        </p>
        {doc.loading ? <Loading label="Reading the document's parameters…" /> : null}
        {doc.error !== undefined ? <ErrorBox error={doc.error} retry={doc.reload} title="The document could not be read" /> : null}
        {doc.data && specs.length === 0 ? <p className="muted">This document takes no parameters.</p> : null}
        {doc.data
          ? specs.map((s) => (
              <ParamInput
                key={s.name}
                spec={s}
                testIdPrefix="mw-task-param-"
                value={form.values[s.name] ?? ''}
                error={paramErrors[s.name]}
                onChange={(v) => {
                  setForm((f) => ({ ...f, values: { ...f.values, [s.name]: v } }));
                  if (refusal?.param === s.name) setRefusal({ ...refusal, field: undefined, param: undefined });
                }}
              />
            ))
          : null}
        {errors.parameters ? (
          <p className="field-error" data-testid="mw-task-params-error">
            {errors.parameters}
          </p>
        ) : null}
      </fieldset>

      <fieldset className={`mw-fieldset${errors.targets ? ' field-invalid' : ''}`}>
        <legend>Targets</legend>
        {w.AllowUnassociatedTargets ? (
          <div className="segmented" role="radiogroup" aria-label="Run on">
            <label>
              <input type="radio" name={`task-targets-${id}`} checked={form.targetMode === 'window'} onChange={() => set('targetMode', 'window', 'targets')} data-testid="mw-task-targets-mode-window" />
              The window's targets
            </label>
            <label>
              <input type="radio" name={`task-targets-${id}`} checked={form.targetMode !== 'window'} onChange={() => set('targetMode', 'ids', 'targets')} data-testid="mw-task-targets-mode-nodes" />
              Other nodes
            </label>
          </div>
        ) : null}
        {form.targetMode === 'window' ? (
          targets.length ? (
            <ul className="choice-list" aria-label="The window's targets" data-testid="mw-task-targets">
              {targets.map((t) => (
                <li key={t.WindowTargetId}>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={form.windowTargetIds.includes(t.WindowTargetId)}
                      onChange={(e) => set('windowTargetIds', e.target.checked ? [...form.windowTargetIds, t.WindowTargetId] : form.windowTargetIds.filter((x) => x !== t.WindowTargetId), 'targets')}
                      data-testid={`mw-task-target-${t.WindowTargetId}`}
                    />
                    {t.Name || <span className="mono">{t.WindowTargetId}</span>} <span className="muted">({t.Targets?.map((x) => `${x.Key} = ${x.Values.join(', ')}`).join('; ')})</span>
                  </label>
                </li>
              ))}
            </ul>
          ) : (
            <p className="callout callout-warn">Register a target first: a Run Command task runs on the window's targets.</p>
          )
        ) : (
          <TargetPicker
            mode={form.targetMode}
            onMode={(m) => set('targetMode', m === 'tags' ? 'tags' : 'ids', 'targets')}
            ids={form.ids}
            onIds={(v) => set('ids', v, 'targets')}
            tags={form.tags}
            onTags={(v) => set('tags', v, 'targets')}
            error={undefined}
            testIdPrefix="mw-task-"
            modes={['ids', 'tags']}
          />
        )}
        {errors.targets ? (
          <p className="field-error" role="alert" data-testid="mw-task-targets-error">
            {errors.targets}
          </p>
        ) : null}
      </fieldset>

      <fieldset className="mw-fieldset">
        <legend>Order and rate</legend>
        <div className="row">
          <Field label="Priority" required hint="Lower runs first; tasks of one priority run side by side." error={errors.priority}>
            {(ids) => <input {...ids} inputMode="numeric" value={form.priority} onChange={(e) => set('priority', e.target.value, 'priority')} data-testid="mw-task-priority" />}
          </Field>
          <Field label="Concurrency" required hint="Nodes at a time: a number or a percentage." error={errors.maxConcurrency}>
            {(ids) => <input {...ids} value={form.maxConcurrency} onChange={(e) => set('maxConcurrency', e.target.value, 'maxConcurrency')} data-testid="mw-task-max-concurrency" />}
          </Field>
          <Field label="Error threshold" required hint="Failures after which no more nodes start: a number or a percentage." error={errors.maxErrors}>
            {(ids) => <input {...ids} value={form.maxErrors} onChange={(e) => set('maxErrors', e.target.value, 'maxErrors')} data-testid="mw-task-max-errors" />}
          </Field>
          <Field label="At the cutoff">
            {(ids) => (
              <select {...ids} value={form.cutoffBehavior} onChange={(e) => setForm((f) => ({ ...f, cutoffBehavior: e.target.value as TaskForm['cutoffBehavior'] }))} data-testid="mw-task-cutoff-behavior">
                <option value="CONTINUE_TASK">Let a running task finish</option>
                <option value="CANCEL_TASK">Cancel a running task</option>
              </select>
            )}
          </Field>
        </div>
        <div className="row">
          <Field label="Task name" hint="Optional: 3 to 128 letters, digits, _, - or ." error={errors.name}>
            {(ids) => <input {...ids} value={form.name} onChange={(e) => set('name', e.target.value, 'name')} data-testid="mw-task-name" />}
          </Field>
          <Field label="Timeout (seconds)" hint="Optional: how long a node may take to start the command." error={errors.timeoutSeconds}>
            {(ids) => <input {...ids} inputMode="numeric" value={form.timeoutSeconds} onChange={(e) => set('timeoutSeconds', e.target.value, 'timeoutSeconds')} data-testid="mw-task-timeout" />}
          </Field>
          <Field label="Comment" hint="Optional; by default the command says which window sent it." error={errors.comment}>
            {(ids) => <input {...ids} value={form.comment} onChange={(e) => set('comment', e.target.value, 'comment')} data-testid="mw-task-comment" />}
          </Field>
        </div>
      </fieldset>

      {refusal ? <ErrorBox error={refusal.error} title="The task was not registered" testId="mw-task-form-error" /> : null}
      {invalid ? (
        <p className="field-error" role="alert" data-testid="mw-task-invalid">
          Correct the fields marked above.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || !doc.data || doc.loading} data-testid="mw-task-submit">
          {busy ? 'Registering…' : 'Register task'}
        </button>
        <button type="button" className="button" onClick={() => onDone(false)} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
