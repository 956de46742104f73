import { useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { MaintenanceWindowTarget } from '../../api/types';
import { Field } from '../../components/Field';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { targetsSummary } from '../associations/associations';
import { TargetPicker } from '../run-command/TargetPicker';
import { targetRefusalField, toRegisterTargetInput, validateTargetForm, type TargetField, type TargetForm } from './windows';

/** The window's registered targets: nodes by id or by tag, each with a Deregister that asks first. */
export function WindowTargets({ id, targets, loading, error, reload }: { id: string; targets: MaintenanceWindowTarget[] | undefined; loading: boolean; error: unknown; reload: () => void }) {
  const [adding, setAdding] = useState(false);
  const [confirm, setConfirm] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>();

  const deregister = async (targetId: string) => {
    setBusy(true);
    setRemoveError(undefined);
    try {
      // Safe: a target a task still names is refused (TargetInUseException) rather than pulled from under it.
      await ssm('DeregisterTargetFromMaintenanceWindow', { WindowId: id, WindowTargetId: targetId, Safe: true });
      setConfirm(undefined);
      reload();
    } catch (e) {
      setRemoveError(e);
      setConfirm(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="h-mw-targets">
      <div className="panel-head">
        <h2 id="h-mw-targets">Targets</h2>
        {adding ? null : (
          <button type="button" className="button" onClick={() => setAdding(true)} data-testid="mw-target-add">
            Register targets
          </button>
        )}
      </div>
      {adding ? (
        <RegisterTargetForm
          id={id}
          onDone={(registered) => {
            setAdding(false);
            if (registered) reload();
          }}
        />
      ) : null}
      {loading && !targets ? <Loading /> : null}
      {error !== undefined ? <ErrorBox error={error} retry={reload} /> : null}
      {removeError !== undefined ? <ErrorBox error={removeError} title="The target was not deregistered" testId="mw-target-error" /> : null}
      {targets && targets.length === 0 ? <Empty>No targets: register the nodes the window's tasks are for.</Empty> : null}
      {targets?.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="mw-targets">
            <thead>
              <tr>
                <th scope="col">Target</th>
                <th scope="col">Nodes</th>
                <th scope="col">Owner information</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {targets.map((t) => (
                <tr key={t.WindowTargetId} data-testid="mw-target-row" data-target-id={t.WindowTargetId}>
                  <td>
                    {t.Name || <span className="muted">unnamed</span>}
                    <div className="muted small mono">{t.WindowTargetId}</div>
                    {t.Description ? <div className="muted small">{t.Description}</div> : null}
                  </td>
                  <td className="break" data-testid="mw-target-summary">
                    {targetsSummary(t)}
                  </td>
                  <td>{t.OwnerInformation || '—'}</td>
                  <td>
                    {confirm === t.WindowTargetId ? (
                      <span className="confirm" role="group" aria-label="Confirm deregistering">
                        <button type="button" className="button button-danger button-small" onClick={() => void deregister(t.WindowTargetId)} disabled={busy} data-testid="mw-target-deregister-confirm">
                          {busy ? 'Deregistering…' : 'Yes, deregister'}
                        </button>{' '}
                        <button type="button" className="button button-small" onClick={() => setConfirm(undefined)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button type="button" className="button button-small" onClick={() => setConfirm(t.WindowTargetId)} aria-label={`Deregister ${t.Name || t.WindowTargetId}`} data-testid="mw-target-deregister">
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

function RegisterTargetForm({ id, onDone }: { id: string; onDone: (registered: boolean) => void }) {
  const [form, setForm] = useState<TargetForm>({ mode: 'ids', ids: [], tags: [{ key: '', values: '' }], name: '', description: '', ownerInformation: '' });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<{ error: unknown; message: string; field?: TargetField | undefined }>();
  const check = validateTargetForm(form);
  const errors: Partial<Record<TargetField, string>> = touched ? { ...check } : {};
  if (refusal?.field) errors[refusal.field] ??= refusal.message;
  const set = <K extends keyof TargetForm>(k: K, v: TargetForm[K], field: TargetField) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (refusal?.field === field) setRefusal({ ...refusal, field: undefined });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setRefusal(undefined);
    if (Object.keys(check).length) return;
    setBusy(true);
    try {
      await ssm('RegisterTargetWithMaintenanceWindow', toRegisterTargetInput(id, form));
      onDone(true);
    } catch (err) {
      const d = describeError(err);
      setRefusal({ error: err, message: d.message, field: targetRefusalField(d.code, d.message) });
      setBusy(false);
    }
  };

  return (
    <form className="form mw-subform" onSubmit={submit} noValidate aria-label="Register targets" data-testid="mw-target-form">
      <TargetPicker
        mode={form.mode}
        onMode={(m) => set('mode', m === 'tags' ? 'tags' : 'ids', 'targets')}
        ids={form.ids}
        onIds={(v) => set('ids', v, 'targets')}
        tags={form.tags}
        onTags={(v) => set('tags', v, 'targets')}
        error={errors.targets}
        testIdPrefix="mw-"
        modes={['ids', 'tags']}
      />
      <div className="row">
        <Field label="Name" hint="Optional: how tasks and lists name this target." error={errors.name}>
          {(ids) => <input {...ids} value={form.name} onChange={(e) => set('name', e.target.value, 'name')} data-testid="mw-target-name" />}
        </Field>
        <Field label="Owner information" hint="Optional: passed with each of its invocations." error={errors.ownerInformation}>
          {(ids) => <input {...ids} value={form.ownerInformation} onChange={(e) => set('ownerInformation', e.target.value, 'ownerInformation')} data-testid="mw-target-owner" />}
        </Field>
        <Field label="Description" hint="Optional." error={errors.description}>
          {(ids) => <input {...ids} value={form.description} onChange={(e) => set('description', e.target.value, 'description')} data-testid="mw-target-description" />}
        </Field>
      </div>
      {refusal ? <ErrorBox error={refusal.error} title="The target was not registered" testId="mw-target-form-error" /> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="mw-target-submit">
          {busy ? 'Registering…' : 'Register target'}
        </button>
        <button type="button" className="button" onClick={() => onDone(false)} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
