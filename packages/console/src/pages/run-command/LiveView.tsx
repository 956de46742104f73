import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ssm } from '../../api/client';
import { describeError, isAbort, isApiError } from '../../api/errors';
import type { FollowResult } from '../../api/types';
import { StatusBadge } from '../../components/Status';
import { VirtualTable } from '../../components/VirtualTable';
import { formatCount } from '../../lib/format';
import { Link } from '../../router/router';
import { CommandProgress, FINISHED, type NodeProgress } from './follow';

/** Up to this many nodes each get an output pane; beyond, a table and one pane for the chosen node. */
const PANES = 20;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Follows a command until it is done: each CapstanFollowCommand call waits up to 15 s for
 * something to change and returns a cursor for the next, so output appears as nodes send it.
 */
function useFollow(commandId: string) {
  const progress = useRef(new CommandProgress());
  const [, setTick] = useState(0);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<{ error: unknown; fatal: boolean }>();

  useEffect(() => {
    const ctl = new AbortController();
    progress.current = new CommandProgress();
    setDone(false);
    setError(undefined);
    void (async () => {
      let cursor: string | undefined;
      let failures = 0;
      while (!ctl.signal.aborted) {
        try {
          const r = await ssm<FollowResult>('CapstanFollowCommand', { CommandId: commandId, WaitSeconds: 15, ...(cursor ? { Cursor: cursor } : {}) }, { signal: ctl.signal });
          if (ctl.signal.aborted) return;
          failures = 0;
          setError(undefined);
          progress.current.apply(r);
          cursor = r.Cursor;
          setTick((t) => t + 1);
          if (r.Done) {
            setDone(true);
            return;
          }
        } catch (e) {
          if (isAbort(e) || ctl.signal.aborted) return;
          // A refused request will be refused again; a network blip or a busy server will pass.
          const transient = !isApiError(e) || e.status >= 500 || e.status === 429 || e.code === 'ThrottlingException';
          setError({ error: e, fatal: !transient });
          if (!transient) return;
          failures++;
          await sleep(Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)), ctl.signal);
        }
      }
    })();
    return () => ctl.abort();
  }, [commandId]);

  return { progress: progress.current, done, error };
}

export function LiveView({ commandId }: { commandId: string }) {
  const { progress, done, error } = useFollow(commandId);
  const cmd = progress.command;
  const nodes = progress.list();
  const [chosen, setChosen] = useState<string>();
  const [cancelState, setCancelState] = useState<'idle' | 'busy' | 'sent'>('idle');
  const [cancelError, setCancelError] = useState<unknown>();

  const byStatus = new Map<string, number>();
  for (const n of nodes) byStatus.set(n.status, (byStatus.get(n.status) ?? 0) + 1);

  const cancel = async () => {
    setCancelState('busy');
    setCancelError(undefined);
    try {
      await ssm('CancelCommand', { CommandId: commandId });
      setCancelState('sent');
    } catch (e) {
      setCancelError(e);
      setCancelState('idle');
    }
  };

  return (
    <section className="live" aria-labelledby="h-live" data-testid="live-view">
      <div className="live-head">
        <h2 id="h-live">Progress</h2>
        <span aria-live="polite">
          <StatusBadge status={cmd?.Status ?? 'Pending'} testId="live-command-status" />
        </span>
        {!done ? (
          <span className="muted small" data-testid="live-following">
            <span className="pulse" aria-hidden="true" /> following live
          </span>
        ) : (
          <span className="muted small" data-testid="live-done">
            finished
          </span>
        )}
        {cmd && !FINISHED.has(cmd.Status) && !done ? (
          <button type="button" className="button button-danger" onClick={() => void cancel()} disabled={cancelState !== 'idle'} data-testid="live-cancel">
            {cancelState === 'sent' ? 'Cancel requested' : cancelState === 'busy' ? 'Cancelling…' : 'Cancel command'}
          </button>
        ) : null}
      </div>
      {cancelError !== undefined ? <p className="field-error">{describeError(cancelError).message}</p> : null}
      {error ? (
        <p className={error.fatal ? 'error-box' : 'callout callout-warn'} role="alert" data-testid="live-error">
          {error.fatal ? 'Following stopped: ' : 'Connection trouble, retrying: '}
          <code>{describeError(error.error).code}</code> {describeError(error.error).message}
        </p>
      ) : null}
      {cmd ? (
        <p className="live-counts" data-testid="live-counts">
          {formatCount(cmd.TargetCount ?? nodes.length)} targets · {formatCount(cmd.CompletedCount ?? 0)} completed · {formatCount(cmd.ErrorCount ?? 0)} errors
          {byStatus.size ? (
            <>
              {' · '}
              {[...byStatus.entries()].map(([s, c]) => (
                <span key={s} className="count-chip">
                  {s} {formatCount(c)}
                </span>
              ))}
            </>
          ) : null}
        </p>
      ) : null}
      {cmd && nodes.length === 0 ? <p className="empty">{done ? 'The command reached no node.' : 'Waiting for the first node…'}</p> : null}
      {nodes.length > 0 && nodes.length <= PANES ? (
        <div className="node-panes">
          {nodes.map((n) => (
            <NodePane key={n.instanceId} node={n} />
          ))}
        </div>
      ) : null}
      {nodes.length > PANES ? (
        <>
          <VirtualTable
            label="Nodes of this command"
            rows={nodes}
            rowKey={(n) => n.instanceId}
            height="min(50vh, 480px)"
            testId="live-table"
            rowProps={(n) => ({ 'data-testid': `live-node-${n.instanceId}` })}
            columns={[
              { key: 'id', header: 'Node', width: '13rem', cell: (n) => <Link to={`/nodes/${n.instanceId}`} className="mono">{n.instanceId}</Link> },
              { key: 'name', header: 'Name', cell: (n) => n.instanceName ?? '—' },
              { key: 'st', header: 'Status', width: '10rem', cell: (n) => <StatusBadge status={n.statusDetails ?? n.status} testId={`live-status-${n.instanceId}`} /> },
              { key: 'rc', header: 'Exit code', width: '6rem', cell: (n) => (n.responseCode === undefined || n.responseCode === -1 ? '—' : String(n.responseCode)) },
              {
                key: 'out',
                header: 'Output',
                width: '8rem',
                cell: (n) => (
                  <button type="button" className="link-button" onClick={() => setChosen(n.instanceId)} aria-pressed={chosen === n.instanceId}>
                    {n.chars ? `show (${formatCount(n.chars)} chars)` : 'show'}
                  </button>
                ),
              },
            ]}
          />
          {chosen && progress.nodes.get(chosen) ? <NodePane node={progress.nodes.get(chosen)!} /> : <p className="hint">Choose a node to see its output.</p>}
        </>
      ) : null}
    </section>
  );
}

function NodePane({ node }: { node: NodeProgress }) {
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  // Keep following the end of the output unless the reader scrolled up to read.
  useLayoutEffect(() => {
    const el = pre.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });
  const multiStep = new Set(node.chunks.map((c) => c.plugin)).size > 1;
  let lastPlugin = '';
  return (
    <article className="node-pane" data-testid={`live-node-${node.instanceId}`} data-instance-id={node.instanceId} aria-label={`Output of ${node.instanceId}`}>
      <header>
        <Link to={`/nodes/${node.instanceId}`} className="mono">
          {node.instanceId}
        </Link>
        {node.instanceName ? <span className="muted"> {node.instanceName}</span> : null}
        <StatusBadge status={node.statusDetails ?? node.status} testId={`live-status-${node.instanceId}`} />
        {node.responseCode !== undefined && node.responseCode !== -1 ? <span className="muted small">exit code {node.responseCode}</span> : null}
      </header>
      <pre
        ref={pre}
        className="output"
        tabIndex={0}
        aria-live="off"
        data-testid={`live-output-${node.instanceId}`}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {node.trimmed ? <span className="muted">… earlier output trimmed …{'\n'}</span> : null}
        {node.chunks.map((c, i) => {
          const header = multiStep && c.plugin !== lastPlugin ? <span className="step-header">{`── ${c.plugin} ──\n`}</span> : null;
          lastPlugin = c.plugin;
          return (
            <span key={i}>
              {header}
              <span className={c.stream === 'stderr' ? 'stderr' : undefined}>{c.text}</span>
            </span>
          );
        })}
        {node.chunks.length === 0 ? <span className="muted">{FINISHED.has(node.status) ? '(no output)' : 'waiting for output…'}</span> : null}
      </pre>
    </article>
  );
}
