import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { ssm } from '../../api/client';
import type { Session } from '../../api/types';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';
import { ReplayPlayer, replayEvents, type ReplayEvent, type ReplayState, type TranscriptEvent } from '../../shell/replay';
import { createTerminal } from '../../shell/xterm';
import { isPortSession } from './port';

export const SPEEDS = [1, 2, 8] as const;

/**
 * A past session played back from its transcript (CapstanGetSessionTranscript) in a read-only
 * terminal, with the original timing: what the shell printed, resized as the user's terminal was.
 */
export default function ReplayPage({ id }: { id: string }) {
  const session = useAsync(
    (signal) => ssm<{ Sessions?: Session[] }>('DescribeSessions', { State: 'History', Filters: [{ key: 'SessionId', value: id }] }, { signal }).then((r) => r.Sessions?.find((s) => s.SessionId === id) ?? null),
    [id],
  );
  const s = session.data ?? undefined;
  const port = isPortSession(s);
  const transcript = useAsync(
    (signal) =>
      session.data === undefined || port
        ? Promise.resolve(undefined)
        : ssm<{ Events?: TranscriptEvent[] }>('CapstanGetSessionTranscript', { SessionId: id }, { signal }).then((r) => replayEvents(r.Events ?? [])),
    [id, session.data === undefined, port],
  );
  const events = transcript.data;

  return (
    <Page
      title={`Replay of ${id}`}
      heading={
        <>
          Replay of <span className="mono break">{id}</span>
        </>
      }
      testId="replay-page"
      actions={
        <Link to={withQuery('/sessions', { state: 'History', target: s?.Target })} className="button">
          Sessions
        </Link>
      }
    >
      {session.loading ? <Loading /> : null}
      {session.error !== undefined ? <ErrorBox error={session.error} retry={session.reload} /> : null}
      {session.data === null ? <Empty>There is no past session {id}.</Empty> : null}
      {s ? (
        <p className="muted small" data-testid="replay-session">
          {s.Target ? (
            <>
              On{' '}
              <Link to={`/nodes/${s.Target}`} className="mono">
                {s.Target}
              </Link>
              ,{' '}
            </>
          ) : null}
          {s.DocumentName ?? 'shell'}, {formatTime(s.StartDate)} – {formatTime(s.EndDate)}, {s.Status}
          {s.Owner ? `, by ${s.Owner.split('/').pop()}` : ''}
        </p>
      ) : null}
      {port ? (
        <Empty>
          <span data-testid="replay-none">This is a port forwarding session: the server keeps no transcript of the bytes it forwarded, so there is nothing to replay.</span>
        </Empty>
      ) : null}
      {transcript.loading ? <Loading label="Loading the transcript…" /> : null}
      {transcript.error !== undefined ? <ErrorBox error={transcript.error} retry={transcript.reload} /> : null}
      {events && !events.length ? (
        <Empty>
          <span data-testid="replay-none">Nothing was recorded for this session (a session encrypted with a KMS key has no transcript either).</span>
        </Empty>
      ) : null}
      {events?.length ? <Replay events={events} /> : null}
    </Page>
  );
}

const clock = (ms: number) => {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};

/** Keystrokes made visible: Enter as ⏎, other control characters as ^X. */
const visible = (data: Uint8Array) =>
  new TextDecoder()
    .decode(data)
    .replace(/\r\n?|\n/g, '⏎')
    .replace(/\x1b/g, '^[')
    .replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\x7f' ? '^?' : `^${String.fromCharCode(c.charCodeAt(0) + 64)}`));

function Replay({ events }: { events: ReplayEvent[] }) {
  const host = useRef<HTMLDivElement>(null);
  const player = useRef<ReplayPlayer | undefined>(undefined);
  const showInput = useRef(false);
  const [state, setState] = useState<ReplayState>('paused');
  const [speed, setSpeed] = useState<number>(1);
  const [keys, setKeys] = useState(false);
  const [position, setPosition] = useState(0);
  const duration = events[events.length - 1]?.at ?? 0;

  useEffect(() => {
    // Read-only: nothing typed here goes anywhere, and no cursor blinks at the reader.
    const term = createTerminal({ disableStdin: true, cursorBlink: false, cols: 80, rows: 24 });
    term.open(host.current!);
    const p = new ReplayPlayer(
      events,
      {
        output: (data) => term.write(data),
        input: (data) => {
          if (showInput.current) term.write(`\x1b[2;33m${visible(data)}\x1b[0m`);
        },
        resize: (cols, rows) => term.resize(cols, rows),
        reset: () => term.reset(),
      },
      setState,
    );
    player.current = p;
    p.play();
    const progress = setInterval(() => setPosition(p.position), 250);
    return () => {
      clearInterval(progress);
      p.dispose();
      player.current = undefined;
      term.dispose();
    };
  }, [events]);

  useEffect(() => setPosition(player.current?.position ?? 0), [state]);

  const changeSpeed = (v: number) => {
    setSpeed(v);
    player.current?.setSpeed(v);
  };
  const toggleKeys = (on: boolean) => {
    showInput.current = on;
    setKeys(on);
  };

  return (
    <section className="panel replay" aria-label="Replay">
      <div className="replay-controls">
        {state === 'playing' ? (
          <button type="button" className="button" onClick={() => player.current?.pause()} data-testid="replay-pause">
            Pause
          </button>
        ) : (
          <button type="button" className="button button-primary" onClick={() => player.current?.play()} data-testid="replay-play">
            {state === 'done' ? 'Play again' : 'Play'}
          </button>
        )}
        <label className="replay-speed">
          Speed{' '}
          <select value={speed} onChange={(e) => changeSpeed(Number(e.target.value))} data-testid="replay-speed">
            {SPEEDS.map((v) => (
              <option key={v} value={v}>
                {v}×
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button" onClick={() => player.current?.end()} disabled={state === 'done'} data-testid="replay-end">
          Jump to end
        </button>
        <label className="replay-check">
          <input type="checkbox" checked={keys} onChange={(e) => toggleKeys(e.target.checked)} data-testid="replay-show-input" />
          Show keystrokes
        </label>
        <span className="mono muted" role="timer" aria-label="Position" data-testid="replay-position">
          {clock(position)} / {clock(duration)}
        </span>
      </div>
      <div className="replay-terminal" ref={host} data-testid="replay-terminal" data-state={state} />
    </section>
  );
}
