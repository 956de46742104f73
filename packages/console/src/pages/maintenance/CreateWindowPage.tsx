import { useMemo, useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Link, navigate } from '../../router/router';
import { browserZone } from './calendar';
import { atExample, COMMON_ZONES, toCreateWindowInput, validateWindowForm, windowRefusalField, type WindowField, type WindowForm } from './windows';

const OTHER = '__other';

export function CreateWindowPage() {
  const viewer = browserZone();
  const [form, setForm] = useState<WindowForm>({
    name: '',
    description: '',
    schedule: 'cron(0 3 ? * SUN *)',
    timeZone: COMMON_ZONES.includes(viewer) ? viewer : 'UTC',
    offset: '',
    startDate: '',
    endDate: '',
    duration: '4',
    cutoff: '1',
    allowUnassociatedTargets: false,
  });
  const [otherZone, setOtherZone] = useState(false);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<{ code: string; message: string; field?: WindowField | undefined }>();

  const zone = form.timeZone.trim() || 'UTC';
  const examples = useMemo(
    () => [
      { expression: 'cron(0 3 ? * SUN *)', meaning: 'Sundays at 03:00' },
      { expression: 'cron(0 2 ? * MON-FRI *)', meaning: 'weekdays at 02:00' },
      { expression: 'cron(0 23 ? * TUE#2 *)', meaning: 'the second Tuesday of the month at 23:00' },
      { expression: 'rate(7 days)', meaning: 'every 7 days from now' },
      { expression: atExample(Date.now(), zone), meaning: 'once' },
    ],
    [zone],
  );

  const check = validateWindowForm(form);
  const errors: Partial<Record<WindowField, string>> = touched ? { ...check } : {};
  // The server's word sits by the field it is about, until that field changes.
  if (refusal?.field) errors[refusal.field] ??= refusal.message;
  const set = <K extends keyof WindowForm>(k: K, v: WindowForm[K], field?: WindowField) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (field && refusal?.field === field) setRefusal({ ...refusal, field: undefined });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setRefusal(undefined);
    if (Object.keys(check).length) return;
    setBusy(true);
    try {
      const r = await ssm<{ WindowId: string }>('CreateMaintenanceWindow', toCreateWindowInput(form));
      navigate(`/maintenance-windows/${r.WindowId}`);
    } catch (err) {
      const d = describeError(err);
      setRefusal({ ...d, field: windowRefusalField(d.code, d.message) });
      setBusy(false);
    }
  };

  const zoneSelect = otherZone || !COMMON_ZONES.includes(form.timeZone) ? OTHER : form.timeZone;
  const invalid = touched && Object.keys(check).length > 0;

  return (
    <Page
      title="Create maintenance window"
      testId="window-create-page"
      actions={
        <Link to="/maintenance-windows" className="button">
          All windows
        </Link>
      }
    >
      <form className="form run-form" onSubmit={submit} noValidate data-testid="mw-form">
        <section className="panel" aria-labelledby="h-mw-name">
          <h2 id="h-mw-name">Window</h2>
          <div className="row">
            <Field label="Name" required hint="3 to 128 letters, digits, _, - or ." error={errors.name}>
              {(ids) => <input {...ids} value={form.name} onChange={(e) => set('name', e.target.value, 'name')} data-testid="mw-name" />}
            </Field>
            <Field label="Description" hint="Optional." error={errors.description}>
              {(ids) => <input {...ids} value={form.description} onChange={(e) => set('description', e.target.value, 'description')} data-testid="mw-description" />}
            </Field>
          </div>
        </section>

        <section className="panel" aria-labelledby="h-mw-schedule">
          <h2 id="h-mw-schedule">Schedule</h2>
          <Field
            label="Schedule expression"
            required
            hint={
              <>
                When the window opens, read in its time zone: <code>cron()</code> (six fields: minutes, hours, day of month, month, day of week, year), <code>rate()</code> counted from when it is created or its start date, or{' '}
                <code>at()</code> for once. Examples:{' '}
                {examples.map((x, i) => (
                  <span key={x.meaning}>
                    {i ? ', ' : ''}
                    <button type="button" className="link-button mono" onClick={() => set('schedule', x.expression, 'schedule')} aria-label={`Use ${x.expression}, ${x.meaning}`} data-testid={`mw-schedule-example-${i}`}>
                      {x.expression}
                    </button>{' '}
                    <span className="muted">({x.meaning})</span>
                  </span>
                ))}
                .
              </>
            }
            error={errors.schedule}
          >
            {(ids) => <input {...ids} className="mono" spellCheck={false} value={form.schedule} onChange={(e) => set('schedule', e.target.value, 'schedule')} data-testid="mw-schedule" />}
          </Field>
          <div className="row">
            <Field label="Time zone" hint={`The schedule and the dates are read in it, daylight saving included. Yours is ${viewer}.`} error={zoneSelect === OTHER ? undefined : errors.timeZone}>
              {(ids) => (
                <select
                  {...ids}
                  value={zoneSelect}
                  onChange={(e) => {
                    if (e.target.value === OTHER) setOtherZone(true);
                    else {
                      setOtherZone(false);
                      set('timeZone', e.target.value, 'timeZone');
                    }
                  }}
                  data-testid="mw-timezone"
                >
                  {COMMON_ZONES.map((z) => (
                    <option key={z} value={z}>
                      {z}
                      {z === viewer ? ' (yours)' : ''}
                    </option>
                  ))}
                  <option value={OTHER}>Another zone…</option>
                </select>
              )}
            </Field>
            {zoneSelect === OTHER ? (
              <Field label="IANA time zone" hint="Such as America/Argentina/Buenos_Aires or Etc/GMT+2." error={errors.timeZone}>
                {(ids) => <input {...ids} className="mono" spellCheck={false} value={form.timeZone} onChange={(e) => set('timeZone', e.target.value, 'timeZone')} data-testid="mw-timezone-other" />}
              </Field>
            ) : null}
            <Field label="Schedule offset (days)" hint="Optional, cron only: each start that many days later, at the same time (1 to 6)." error={errors.offset}>
              {(ids) => <input {...ids} inputMode="numeric" value={form.offset} onChange={(e) => set('offset', e.target.value, 'offset')} data-testid="mw-offset" />}
            </Field>
          </div>
          <div className="row">
            <Field label="Start date" hint={`Optional: no start before it, in ${zone}.`} error={errors.startDate}>
              {(ids) => <input {...ids} type="datetime-local" value={form.startDate} onChange={(e) => set('startDate', e.target.value, 'startDate')} data-testid="mw-start-date" />}
            </Field>
            <Field label="End date" hint={`Optional: no start after it, in ${zone}.`} error={errors.endDate}>
              {(ids) => <input {...ids} type="datetime-local" value={form.endDate} onChange={(e) => set('endDate', e.target.value, 'endDate')} data-testid="mw-end-date" />}
            </Field>
          </div>
        </section>

        <section className="panel" aria-labelledby="h-mw-length">
          <h2 id="h-mw-length">Length and targets</h2>
          <div className="row">
            <Field label="Duration (hours)" required hint="How long the window stays open, 1 to 24." error={errors.duration}>
              {(ids) => <input {...ids} inputMode="numeric" value={form.duration} onChange={(e) => set('duration', e.target.value, 'duration')} data-testid="mw-duration" />}
            </Field>
            <Field label="Cutoff (hours)" required hint="No new task starts in the window's last hours: 0 lets tasks start until the end." error={errors.cutoff}>
              {(ids) => <input {...ids} inputMode="numeric" value={form.cutoff} onChange={(e) => set('cutoff', e.target.value, 'cutoff')} data-testid="mw-cutoff" />}
            </Field>
          </div>
          <div className="field field-check">
            <input id="mw-allow-unassociated" type="checkbox" checked={form.allowUnassociatedTargets} onChange={(e) => set('allowUnassociatedTargets', e.target.checked)} aria-describedby="mw-allow-unassociated-hint" data-testid="mw-allow-unassociated" />
            <label htmlFor="mw-allow-unassociated">Allow unregistered targets</label>
          </div>
          <p className="hint" id="mw-allow-unassociated-hint">
            Tasks may then name nodes (by id or tag) that are not registered with the window as targets.
          </p>
        </section>

        {refusal ? (
          <div className="error-box" role="alert" data-testid="mw-error">
            <p>
              <strong>The window was not created.</strong> <code className="error-code" data-testid="mw-error-code">{refusal.code}</code>
            </p>
            <p className="error-message" data-testid="mw-error-message">
              {refusal.message}
            </p>
          </div>
        ) : null}
        {invalid ? (
          <p className="field-error" role="alert" data-testid="mw-invalid">
            Correct the fields marked above.
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy} data-testid="mw-submit">
            {busy ? 'Creating…' : 'Create window'}
          </button>
        </div>
      </form>
    </Page>
  );
}
