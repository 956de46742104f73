import { useEffect, useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { COMPLIANCE_LEVELS, getBaseline, isPredefined, PATCH_OS, type PatchBaseline } from '../../api/patching';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate } from '../../router/router';
import { checkForm, emptyRule, formOf, newBaselineForm, osMeta, refusalPlace, toInput, type BaselineForm, type RuleRow } from './baselineForm';
import { FilterRows } from './FilterRows';
import { baselinePath } from './paths';

/** AWS allows ten approval rules a baseline. */
const MAX_RULES = 10;

/** Create a patch baseline, or edit one of the account's (`id`). */
export function BaselineFormPage({ id }: { id?: string }) {
  const existing = useAsync((signal) => (id ? getBaseline(id, { signal }) : Promise.resolve(undefined)), [id]);
  if (id && existing.loading) return <Page title="Edit patch baseline"><Loading /></Page>;
  if (id && existing.error !== undefined) {
    return (
      <Page title="Edit patch baseline">
        <ErrorBox error={existing.error} retry={existing.reload} />
      </Page>
    );
  }
  if (id && existing.data && isPredefined(id)) {
    return (
      <Page title="Edit patch baseline">
        <p className="callout" data-testid="pb-read-only">
          {existing.data.Name} is one of Capstan's predefined baselines and cannot be changed. Create a baseline of your own from it instead.
        </p>
        <Link to={baselinePath(id)} className="button">
          Back to {existing.data.Name}
        </Link>
      </Page>
    );
  }
  return <BaselineEditor existing={existing.data} />;
}

function BaselineEditor({ existing }: { existing: PatchBaseline | undefined }) {
  const [form, setForm] = useState<BaselineForm>(() => (existing ? formOf(existing) : newBaselineForm()));
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<{ code: string; message: string }>();
  useEffect(() => {
    if (existing) setForm(formOf(existing));
  }, [existing]);

  const meta = osMeta(form.os);
  const check = checkForm(form);
  const errors = touched ? check : {};
  const place = refusal ? refusalPlace(refusal.message) : {};
  const set = (f: Partial<BaselineForm>) => setForm((x) => ({ ...x, ...f }));
  const setRule = (i: number, r: RuleRow) => set({ rules: form.rules.map((x, k) => (k === i ? r : x)) });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setRefusal(undefined);
    if (Object.keys(check).length) return;
    setBusy(true);
    try {
      const input = toInput(form);
      if (existing) {
        // Replace: what the form leaves out goes back to AWS's defaults; the sources the form does not show stay.
        const { OperatingSystem: _os, ...rest } = input;
        await ssm('UpdatePatchBaseline', { BaselineId: existing.BaselineId, ...rest, Sources: existing.Sources ?? [], Replace: true });
        navigate(baselinePath(existing.BaselineId));
      } else {
        const r = await ssm<{ BaselineId: string }>('CreatePatchBaseline', input);
        navigate(baselinePath(r.BaselineId));
      }
    } catch (err) {
      setRefusal(describeError(err));
      setBusy(false);
    }
  };

  const title = existing ? `Edit ${existing.Name}` : 'Create patch baseline';
  return (
    <Page
      title={title}
      testId="pb-form-page"
      actions={
        <Link to={existing ? baselinePath(existing.BaselineId) : '/patch-baselines'} className="button">
          Cancel
        </Link>
      }
    >
      <form className="form" onSubmit={submit} noValidate data-testid="pb-form">
        <section className="panel" aria-labelledby="h-pb-about">
          <h2 id="h-pb-about">Baseline</h2>
          <div className="row">
            <Field label="Name" required hint="3 to 128 letters, digits, _, - or ." error={errors.name}>
              {(ids) => <input {...ids} value={form.name} onChange={(e) => set({ name: e.target.value })} data-testid="pb-name" />}
            </Field>
            <Field label="Operating system" hint={existing ? 'A baseline keeps the system it was made for.' : 'Which nodes it can patch.'}>
              {(ids) => (
                <select
                  {...ids}
                  value={form.os}
                  disabled={!!existing}
                  onChange={(e) => set({ os: e.target.value, globalFilters: [], rules: [emptyRule(e.target.value)] })}
                  data-testid="pb-os"
                >
                  {PATCH_OS.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <Field label="Description" hint="Optional.">
            {(ids) => <input {...ids} value={form.description} onChange={(e) => set({ description: e.target.value })} data-testid="pb-description" />}
          </Field>
        </section>

        <section className={`panel${place.global ? ' pb-refused' : ''}`} aria-labelledby="h-pb-global">
          <h2 id="h-pb-global">Global filters</h2>
          <p className="hint">Patches that fail these are never approved, whatever the rules say. Keys for {meta.label}: {meta.keys.join(', ')}.</p>
          {refusal && place.global ? (
            <p className="field-error" data-testid="pb-global-error">
              {refusal.message}
            </p>
          ) : null}
          <FilterRows rows={form.globalFilters} keys={meta.keys} onChange={(globalFilters) => set({ globalFilters })} label="Global filters" testId="pb-global" />
        </section>

        <section className="panel" aria-labelledby="h-pb-rules">
          <h2 id="h-pb-rules">Approval rules</h2>
          <p className="hint">
            A patch is approved when it passes every filter of a rule. {meta.dated ? 'Each rule approves after some days or until a date.' : `${meta.label} repositories carry no release dates: approval is immediate.`}
          </p>
          {form.rules.map((r, i) => (
            <fieldset key={i} className={`pb-rule${place.rule === i ? ' pb-refused' : ''}`} aria-describedby={refusal && place.rule === i ? `pb-rule-${i}-error` : undefined} data-testid="pb-rule">
              <legend>Rule {i + 1}</legend>
              {refusal && place.rule === i ? (
                <p className="field-error" id={`pb-rule-${i}-error`} data-testid="pb-rule-error">
                  {refusal.message}
                </p>
              ) : null}
              <FilterRows rows={r.filters} keys={meta.keys} onChange={(filters) => setRule(i, { ...r, filters })} label={`Rule ${i + 1} filters`} testId={`pb-rule-${i}-filters`} />
              <div className="row">
                <Field label="Compliance level" hint="The severity a missing approved patch gives the node.">
                  {(ids) => (
                    <select {...ids} value={r.complianceLevel} onChange={(e) => setRule(i, { ...r, complianceLevel: e.target.value })} data-testid={`pb-rule-${i}-level`}>
                      {COMPLIANCE_LEVELS.map((l) => (
                        <option key={l}>{l}</option>
                      ))}
                    </select>
                  )}
                </Field>
                {meta.dated || r.approveAfterDays ? (
                  <Field label="Approve after (days)" hint="0 to 360 days after release." error={errors[`rule-${i}-days`]}>
                    {(ids) => <input {...ids} inputMode="numeric" value={r.approveAfterDays} onChange={(e) => setRule(i, { ...r, approveAfterDays: e.target.value })} data-testid={`pb-rule-${i}-days`} />}
                  </Field>
                ) : null}
                {meta.dated || r.approveUntilDate ? (
                  <Field label="Or approve until (date)" hint="YYYY-MM-DD: patches released up to then.">
                    {(ids) => <input {...ids} placeholder="YYYY-MM-DD" value={r.approveUntilDate} onChange={(e) => setRule(i, { ...r, approveUntilDate: e.target.value })} data-testid={`pb-rule-${i}-until`} />}
                  </Field>
                ) : null}
              </div>
              <div className="field field-check">
                <input id={`pb-rule-${i}-nonsec`} type="checkbox" checked={r.enableNonSecurity} onChange={(e) => setRule(i, { ...r, enableNonSecurity: e.target.checked })} />
                <label htmlFor={`pb-rule-${i}-nonsec`}>Include non-security updates</label>
              </div>
              <button type="button" className="button button-small" onClick={() => set({ rules: form.rules.filter((_, k) => k !== i) })} aria-label={`Remove rule ${i + 1}`}>
                Remove rule
              </button>
            </fieldset>
          ))}
          {form.rules.length < MAX_RULES ? (
            <button type="button" className="button" onClick={() => set({ rules: [...form.rules, emptyRule(form.os)] })} data-testid="pb-add-rule">
              Add rule
            </button>
          ) : null}
        </section>

        <section className="panel" aria-labelledby="h-pb-lists">
          <h2 id="h-pb-lists">Approved and rejected patches</h2>
          <div className="row">
            <Field label="Approved patches" hint="Package names (or name=version), one a line; approved whatever the rules say.">
              {(ids) => <textarea {...ids} rows={4} className="mono" value={form.approved} onChange={(e) => set({ approved: e.target.value })} data-testid="pb-approved" />}
            </Field>
            <Field label="Rejected patches" hint="One a line; never installed as approved patches.">
              {(ids) => <textarea {...ids} rows={4} className="mono" value={form.rejected} onChange={(e) => set({ rejected: e.target.value })} data-testid="pb-rejected" />}
            </Field>
          </div>
          <div className="row">
            <Field label="Approved patches' compliance level">
              {(ids) => (
                <select {...ids} value={form.approvedLevel} onChange={(e) => set({ approvedLevel: e.target.value })} data-testid="pb-approved-level">
                  {COMPLIANCE_LEVELS.map((l) => (
                    <option key={l}>{l}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Rejected patches action" hint="Allow as dependency lets another package pull one in.">
              {(ids) => (
                <select {...ids} value={form.rejectedAction} onChange={(e) => set({ rejectedAction: e.target.value as BaselineForm['rejectedAction'] })} data-testid="pb-rejected-action">
                  <option value="ALLOW_AS_DEPENDENCY">Allow as dependency</option>
                  <option value="BLOCK">Block</option>
                </select>
              )}
            </Field>
            <Field label="Unapproved security updates" hint="Whether security updates the rules do not approve make a node non-compliant.">
              {(ids) => (
                <select {...ids} value={form.availableSecurity} onChange={(e) => set({ availableSecurity: e.target.value as BaselineForm['availableSecurity'] })} data-testid="pb-available-security">
                  <option value="">Not counted</option>
                  <option value="NON_COMPLIANT">Non-compliant</option>
                  <option value="COMPLIANT">Compliant</option>
                </select>
              )}
            </Field>
          </div>
          <div className="field field-check">
            <input id="pb-approved-nonsec" type="checkbox" checked={form.approvedNonSecurity} onChange={(e) => set({ approvedNonSecurity: e.target.checked })} />
            <label htmlFor="pb-approved-nonsec">Approved patches include non-security updates</label>
          </div>
        </section>

        {refusal ? (
          <div className="error-box" role="alert" data-testid="pb-error">
            <p>
              <strong>{existing ? 'The baseline was not changed.' : 'The baseline was not created.'}</strong> <code className="error-code" data-testid="pb-error-code">{refusal.code}</code>
            </p>
            <p className="error-message" data-testid="pb-error-message">
              {refusal.message}
            </p>
          </div>
        ) : null}
        {touched && Object.keys(check).length ? (
          <p className="field-error" role="alert">
            Correct the fields marked above.
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy} data-testid="pb-submit">
            {busy ? 'Saving…' : existing ? 'Save baseline' : 'Create baseline'}
          </button>
        </div>
      </form>
    </Page>
  );
}
