import { useMemo, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { Session } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Pager, usePager } from '../../components/Pager';
import { Empty, ErrorBox, Loading, StatusBadge } from '../../components/Status';
import { ago, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery } from '../../router/router';
import { filterNodes, osLabel, useFleet } from '../nodes/fleet';
import { isPortSession } from './port';

export function SessionsPage() {
  const [query, setQuery] = useQuery();
  const state = query.get('state') === 'History' ? 'History' : 'Active';
  const target = query.get('target') ?? '';
  const [draft, setDraft] = useState(target);
  const pager = usePager();
  const list = useAsync(
    (signal) =>
      ssm<{ Sessions?: Session[]; NextToken?: string }>(
        'DescribeSessions',
        { State: state, MaxResults: 50, ...(target ? { Filters: [{ key: 'Target', value: target }] } : {}), ...(pager.token ? { NextToken: pager.token } : {}) },
        { signal },
      ),
    [state, target, pager.token],
  );
  const change = (c: Record<string, string>) => {
    pager.reset();
    setQuery(c);
  };
  const applyTarget = (e: FormEvent) => {
    e.preventDefault();
    change({ target: draft.trim() });
  };

  return (
    <Page title="Session Manager" testId="sessions-page">
      <StartSession preferred={target} />

      <form className="filters" onSubmit={applyTarget} aria-label="Filter sessions">
        <div className="segmented" role="radiogroup" aria-label="Sessions">
          <label>
            <input type="radio" name="state" checked={state === 'Active'} onChange={() => change({ state: 'Active' })} data-testid="sessions-tab-active" />
            Active
          </label>
          <label>
            <input type="radio" name="state" checked={state === 'History'} onChange={() => change({ state: 'History' })} data-testid="sessions-tab-history" />
            History
          </label>
        </div>
        <Field label="Node">
          {(ids) => <input {...ids} placeholder="mi-…" value={draft} onChange={(e) => setDraft(e.target.value)} data-testid="sessions-filter-target" />}
        </Field>
        <button type="submit" className="button">
          Filter
        </button>
      </form>

      {list.loading ? <Loading /> : null}
      {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
      {list.data && !list.data.Sessions?.length ? <Empty>{state === 'Active' ? 'No active sessions.' : 'No past sessions.'}</Empty> : null}
      {list.data?.Sessions?.length ? (
        <div className="table-wrap">
          <table className="table" data-testid="sessions-table">
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Node</th>
                <th scope="col">Status</th>
                <th scope="col">Owner</th>
                <th scope="col">Document</th>
                <th scope="col">Started</th>
                {state === 'History' ? (
                  <>
                    <th scope="col">Ended</th>
                    <th scope="col">Transcript</th>
                  </>
                ) : (
                  <th scope="col">Action</th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.data.Sessions.map((s) => (
                <SessionRow key={s.SessionId} s={s} active={state === 'Active'} onTerminated={list.reload} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager page={pager.page} nextToken={list.data?.NextToken} onNext={pager.next} onPrev={pager.prev} busy={list.loading} />
    </Page>
  );
}

/** Enter in the search narrows the list; starting a session takes the button. */
const noSubmit = (e: KeyboardEvent) => {
  if (e.key === 'Enter') e.preventDefault();
};

/** A select of a few hundred options stays usable; past that the search narrows it. */
const MAX_CHOICES = 200;

/** Picks an Online node and opens a shell on it (the shell page starts the session). */
function StartSession({ preferred }: { preferred: string }) {
  const fleet = useFleet({ ping: 'Online' });
  const [search, setSearch] = useState('');
  const [chosen, setChosen] = useState('');
  const matches = useMemo(
    () => filterNodes(fleet.nodes, { search }, undefined).slice().sort((a, b) => (a.Name || a.InstanceId).localeCompare(b.Name || b.InstanceId)),
    [fleet.nodes, search],
  );
  const choices = matches.slice(0, MAX_CHOICES);
  const has = (id: string) => id !== '' && choices.some((n) => n.InstanceId === id);
  const value = has(chosen) ? chosen : has(preferred) ? preferred : (choices[0]?.InstanceId ?? '');
  const start = (e: FormEvent) => {
    e.preventDefault();
    if (value) navigate(`/sessions/shell/${encodeURIComponent(value)}`);
  };
  return (
    <section className="panel" aria-labelledby="h-shell" data-testid="session-start-panel">
      <h2 id="h-shell">Start a session</h2>
      <form className="filters filters-bare" onSubmit={start} aria-label="Start a session">
        <Field label="Search">{(ids) => <input {...ids} type="search" placeholder="id, name or IP" value={search} onChange={(e) => setSearch(e.target.value)} onKeyDown={noSubmit} data-testid="session-node-search" />}</Field>
        <Field label="Online node">
          {(ids) => (
            <select {...ids} value={value} onChange={(e) => setChosen(e.target.value)} disabled={!choices.length} data-testid="session-node">
              {choices.map((n) => (
                <option key={n.InstanceId} value={n.InstanceId}>
                  {n.InstanceId}
                  {n.Name || n.ComputerName ? ` — ${n.Name || n.ComputerName}` : ''} ({osLabel(n)})
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="button button-primary" disabled={!value} data-testid="session-start">
          Start session
        </button>
      </form>
      {!fleet.done ? <Loading label="Finding Online nodes…" /> : null}
      {fleet.error !== undefined ? <ErrorBox error={fleet.error} retry={fleet.refresh} /> : null}
      {fleet.done && fleet.error === undefined && !matches.length ? <Empty>{search ? 'No Online node matches.' : 'No node is Online.'}</Empty> : null}
      {matches.length > MAX_CHOICES ? (
        <p className="muted small">
          The first {MAX_CHOICES} of {matches.length} Online nodes; search to narrow them.
        </p>
      ) : null}
    </section>
  );
}

function SessionRow({ s, active, onTerminated }: { s: Session; active: boolean; onTerminated: () => void }) {
  const [step, setStep] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [error, setError] = useState<string>();
  const terminate = async () => {
    setStep('busy');
    setError(undefined);
    try {
      await ssm('TerminateSession', { SessionId: s.SessionId });
      onTerminated();
    } catch (e) {
      setError(describeError(e).message);
      setStep('idle');
    }
  };
  return (
    <tr data-testid="session-row" data-session-id={s.SessionId}>
      <td className="mono">{s.SessionId}</td>
      <td>
        {s.Target ? (
          <Link to={`/nodes/${s.Target}`} className="mono">
            {s.Target}
          </Link>
        ) : (
          '—'
        )}
      </td>
      <td>
        <StatusBadge status={s.Status} />
      </td>
      <td className="truncate" title={s.Owner}>
        {s.Owner?.split('/').pop() ?? '—'}
      </td>
      <td>{s.DocumentName ?? '—'}</td>
      <td title={formatTime(s.StartDate)}>{ago(s.StartDate)}</td>
      {active ? (
        <td>
          {step === 'idle' ? (
            <button type="button" className="button button-small button-danger" onClick={() => setStep('confirm')} data-testid={`session-terminate-${s.SessionId}`}>
              Terminate
            </button>
          ) : (
            <span className="confirm">
              <button type="button" className="button button-small button-danger" onClick={() => void terminate()} disabled={step === 'busy'} data-testid={`session-terminate-confirm-${s.SessionId}`}>
                {step === 'busy' ? 'Terminating…' : 'Yes, end it'}
              </button>{' '}
              <button type="button" className="button button-small" onClick={() => setStep('idle')}>
                No
              </button>
            </span>
          )}
          {error ? <p className="field-error">{error}</p> : null}
        </td>
      ) : (
        <>
          <td>{formatTime(s.EndDate)}</td>
          <td>
            {isPortSession(s) ? (
              <span className="muted small" data-testid="session-no-transcript">
                None: port sessions have no transcript
              </span>
            ) : (
              <Link to={`/sessions/replay/${encodeURIComponent(s.SessionId)}`} className="button button-small" data-testid="session-replay">
                Replay
              </Link>
            )}
          </td>
        </>
      )}
    </tr>
  );
}
