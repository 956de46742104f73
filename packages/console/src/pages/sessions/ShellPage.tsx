import '@xterm/xterm/css/xterm.css';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../../api/errors';
import { Page } from '../../components/Page';
import { Link, withQuery } from '../../router/router';
import { BrowserShell, type ShellEnd, type ShellState } from '../../shell/shell';

/**
 * A shell on one node in the page: StartSession through the console's call endpoint, the stream
 * socket from this browser, the session client of @capstan/wire on it, xterm.js on screen. The
 * page's address starts a new session each time it is opened, as a terminal window would.
 */
export default function ShellPage({ target }: { target: string }) {
  const [attempt, setAttempt] = useState(0);
  const restart = useCallback(() => setAttempt((a) => a + 1), []);
  return <Shell key={attempt} target={target} restart={restart} />;
}

function Shell({ target, restart }: { target: string; restart: () => void }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<ShellState>('connecting');
  const [resuming, setResuming] = useState(false);
  const [sessionId, setSessionId] = useState<string>();
  const [ended, setEnded] = useState<ShellEnd>();
  const [terminating, setTerminating] = useState(false);
  const [terminateError, setTerminateError] = useState<string>();
  // One shell per mounted page: a ref outlives React running the effect again on the same page.
  const shell = useRef<BrowserShell | undefined>(undefined);
  shell.current ??= new BrowserShell(target, { state: setState, resuming: setResuming, session: setSessionId, ended: setEnded });

  useEffect(() => {
    const s = shell.current!;
    if (s.isDisposed) return restart();
    s.mount(host.current!);
    return () => s.unmount();
  }, [restart]);

  const terminate = async () => {
    setTerminating(true);
    setTerminateError(undefined);
    try {
      await shell.current?.terminate();
    } catch (e) {
      setTerminateError(describeError(e).message);
      setTerminating(false);
    }
  };

  // A resume is a connection being made again: tests and styles see `connecting` until it is back.
  const shown: ShellState = state === 'connected' && resuming ? 'connecting' : state;
  return (
    <Page
      title={`Shell on ${target}`}
      heading={
        <>
          Shell on{' '}
          <Link to={`/nodes/${target}`} className="mono">
            {target}
          </Link>
        </>
      }
      testId="shell-page"
      actions={
        <>
          <Link to={withQuery('/sessions', { target })} className="button">
            Sessions
          </Link>
          {state === 'ended' ? (
            <button type="button" className="button button-primary" onClick={restart} data-testid="shell-restart">
              New session
            </button>
          ) : (
            <button type="button" className="button button-danger" onClick={() => void terminate()} disabled={!sessionId || terminating} data-testid="shell-terminate">
              {terminating ? 'Terminating…' : 'Terminate'}
            </button>
          )}
        </>
      }
    >
      <p className="shell-status" role="status" aria-live="polite" data-testid="shell-status">
        {state === 'connecting' ? (sessionId ? `Connecting session ${sessionId}…` : 'Starting the session…') : null}
        {state === 'connected' ? (
          <>
            Session <span className="mono" data-testid="shell-session-id">{sessionId}</span> {resuming ? <strong>— connection lost, resuming…</strong> : null}
          </>
        ) : null}
        {state === 'ended' ? (
          <span className={ended?.failed ? 'field-error' : undefined} data-testid="shell-ended">
            {sessionId ? `Session ${sessionId} ended: ` : 'The session could not start: '}
            {ended?.reason}
            {ended?.exitCode !== undefined ? ` (exit code ${ended.exitCode})` : ''}
          </span>
        ) : null}
      </p>
      {terminateError ? (
        <p className="field-error" role="alert">
          TerminateSession failed: {terminateError}
        </p>
      ) : null}
      <div className="shell-terminal" ref={host} data-testid="shell-terminal" data-state={shown} />
    </Page>
  );
}
