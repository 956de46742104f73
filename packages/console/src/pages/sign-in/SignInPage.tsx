import { useEffect, useRef, useState, type FormEvent } from 'react';
import { signIn, type SignInRequest } from '../../api/client';
import { describeError } from '../../api/errors';
import { navigate, useLocation } from '../../router/router';

type Mode = 'access-key' | 'password';

export function SignInPage() {
  const { path } = useLocation();
  const [mode, setMode] = useState<Mode>('access-key');
  const [fields, setFields] = useState({ accessKeyId: '', secretAccessKey: '', accountId: '', userName: '', password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string }>();
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Capstan';
    first.current?.focus();
  }, [mode]);

  const set = (k: keyof typeof fields) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const req: SignInRequest =
      mode === 'access-key'
        ? { accessKeyId: fields.accessKeyId.trim(), secretAccessKey: fields.secretAccessKey }
        : { accountId: fields.accountId.trim(), userName: fields.userName.trim(), password: fields.password };
    try {
      const session = await signIn(req);
      // Secrets leave memory as soon as they have served.
      setFields({ accessKeyId: '', secretAccessKey: '', accountId: '', userName: '', password: '' });
      // A reset the administrator asked for, or an expired password: a new one comes first.
      if (session.passwordChangeRequired) navigate('/change-password', { replace: true });
      else if (path === '/sign-in') navigate('/', { replace: true });
    } catch (err) {
      const d = describeError(err);
      setError(d.code === 'SignInFailed' || d.code === 'NotSignedIn' ? { code: d.code, message: d.message || 'The credentials were not accepted.' } : d);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>Sign in to Capstan</h1>
        <div className="segmented" role="radiogroup" aria-label="Sign in with">
          <label>
            <input type="radio" name="mode" value="access-key" checked={mode === 'access-key'} onChange={() => setMode('access-key')} data-testid="signin-mode-access-key" />
            Access key
          </label>
          <label>
            <input type="radio" name="mode" value="password" checked={mode === 'password'} onChange={() => setMode('password')} data-testid="signin-mode-password" />
            User name and password
          </label>
        </div>
        <form onSubmit={submit} data-testid="signin-form" aria-describedby={error ? 'signin-error' : undefined}>
          {mode === 'access-key' ? (
            <>
              <div className="field">
                <label htmlFor="akid">Access key ID</label>
                <input id="akid" ref={first} autoComplete="username" spellCheck={false} required value={fields.accessKeyId} onChange={set('accessKeyId')} data-testid="signin-access-key-id" />
              </div>
              <div className="field">
                <label htmlFor="secret">Secret access key</label>
                <input id="secret" type="password" autoComplete="current-password" required value={fields.secretAccessKey} onChange={set('secretAccessKey')} data-testid="signin-secret-access-key" />
              </div>
            </>
          ) : (
            <>
              <div className="field">
                <label htmlFor="account">Account ID</label>
                <input id="account" ref={first} inputMode="numeric" pattern="[0-9]{12}" title="12 digits" autoComplete="organization" required value={fields.accountId} onChange={set('accountId')} data-testid="signin-account-id" />
              </div>
              <div className="field">
                <label htmlFor="user">User name</label>
                <input id="user" autoComplete="username" spellCheck={false} required value={fields.userName} onChange={set('userName')} data-testid="signin-user-name" />
              </div>
              <div className="field">
                <label htmlFor="password">Password</label>
                <input id="password" type="password" autoComplete="current-password" required value={fields.password} onChange={set('password')} data-testid="signin-password" />
              </div>
            </>
          )}
          {error ? (
            <div className="error-box" role="alert" id="signin-error" data-testid="signin-error">
              <p>
                <strong>Sign-in failed.</strong> {error.message}
              </p>
            </div>
          ) : null}
          <button type="submit" className="button button-primary button-wide" disabled={busy} data-testid="signin-submit">
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="hint">The admin access key of a new server is printed by <code>npm start</code> and kept in <code>data/credentials</code>.</p>
      </div>
    </main>
  );
}
