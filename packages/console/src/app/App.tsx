import { useEffect, useState, useSyncExternalStore } from 'react';
import { fetchMe } from '../api/client';
import { isAbort } from '../api/errors';
import { sessionStore } from '../api/session';
import { ErrorBox, Loading } from '../components/Status';
import { clearFleet } from '../pages/nodes/fleet';
import { SignInPage } from '../pages/sign-in/SignInPage';
import { Layout } from './Layout';
import { AppRoutes } from './routes';

export function App() {
  const session = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  const region = useSyncExternalStore(sessionStore.subscribe, sessionStore.region);
  const [bootError, setBootError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    setBootError(undefined);
    fetchMe(ctl.signal).then(
      (s) => sessionStore.set(s),
      (e: unknown) => {
        if (!isAbort(e)) setBootError(e);
      },
    );
    return () => ctl.abort();
  }, [attempt]);

  // Whatever was loaded for one user must not show through to the next.
  useEffect(() => {
    if (session === null) clearFleet();
  }, [session]);
  useEffect(() => clearFleet, [region]);

  if (bootError !== undefined && session === undefined) {
    return (
      <main className="center-page">
        <ErrorBox error={bootError} title="The console could not reach the server" retry={() => setAttempt((a) => a + 1)} />
      </main>
    );
  }
  if (session === undefined) {
    return (
      <main className="center-page">
        <Loading label="Starting the console…" />
      </main>
    );
  }
  if (session === null) return <SignInPage />;
  return (
    <Layout principal={session.principal}>
      {/* Another region is another set of data: every page starts over. */}
      <AppRoutes key={region ?? ''} />
    </Layout>
  );
}
