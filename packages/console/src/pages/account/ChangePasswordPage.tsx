import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { changePassword } from '../../api/client';
import { describeError } from '../../api/errors';
import { sessionStore } from '../../api/session';
import { Page } from '../../components/Page';
import { Link, navigate } from '../../router/router';

const EMPTY = { old: '', next: '', confirm: '' };

/**
 * Changes the signed-in user's own password (IAM ChangePassword). A session that must set a new
 * password before anything else lands here, and goes on to the dashboard once it has. The
 * account's password policy is the server's to apply: its refusal shows as the server words it.
 */
export function ChangePasswordPage() {
  const session = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  const required = session?.passwordChangeRequired === true;
  const [fields, setFields] = useState(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string }>();
  const [changed, setChanged] = useState(false);
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => {
    first.current?.focus();
  }, []);

  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setChanged(false);
    if (fields.next !== fields.confirm) {
      setError({ code: 'Mismatch', message: 'The new password and its confirmation differ.' });
      return;
    }
    setBusy(true);
    try {
      await changePassword(fields.old, fields.next);
      setFields(EMPTY);
      setChanged(true);
      if (required) navigate('/', { replace: true });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  if (session && session.signInMethod !== 'Password') {
    return (
      <Page title="Change password">
        <p>This session signed in with an access key, so it has no console password to change.</p>
        <p>
          <Link to="/">Go to the dashboard</Link>
        </p>
      </Page>
    );
  }

  return (
    <Page title="Change password" testId="change-password-page">
      {required ? (
        <p className="notice" role="status" data-testid="password-change-required">
          You need to set a new password before using the console.
        </p>
      ) : null}
      <form onSubmit={submit} className="form" aria-describedby={error ? 'password-error' : undefined}>
        <div className="field">
          <label htmlFor="password-old">Current password</label>
          <input id="password-old" ref={first} type="password" autoComplete="current-password" required value={fields.old} onChange={set('old')} data-testid="password-old" />
        </div>
        <div className="field">
          <label htmlFor="password-new">New password</label>
          <input id="password-new" type="password" autoComplete="new-password" required value={fields.next} onChange={set('next')} data-testid="password-new" />
        </div>
        <div className="field">
          <label htmlFor="password-confirm">Confirm new password</label>
          <input id="password-confirm" type="password" autoComplete="new-password" required value={fields.confirm} onChange={set('confirm')} data-testid="password-confirm" />
        </div>
        {error ? (
          <div className="error-box" role="alert" id="password-error" data-testid="password-error">
            <p>
              <strong>The password was not changed.</strong> {error.message}
            </p>
          </div>
        ) : null}
        {changed ? (
          <p className="notice" role="status" data-testid="password-changed">
            Your password has been changed.
          </p>
        ) : null}
        <button type="submit" className="button button-primary" disabled={busy} data-testid="password-submit">
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </Page>
  );
}
