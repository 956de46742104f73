import { useCallback, useEffect, useRef, useState } from 'react';
import { allPages, ssm } from '../../api/client';
import { isAbort, isApiError } from '../../api/errors';
import type { AssociationDescription, AssociationExecution, AssociationExecutionTarget } from '../../api/types';
import { toDate } from '../../lib/format';
import { isRunning, newestFirst } from './associations';

/** How often the page asks again while something runs, and while the association waits for its first run. */
const FAST_MS = 1500;
const SLOW_MS = 10_000;
/** After Run now, how long the page watches for the execution it asked for before it gives up looking. */
const KICK_MS = 60_000;
/** A new association that runs on creation gets its first execution within this long. */
const FRESH_MS = 120_000;
/** Targets of the latest execution shown as the per-node status; a bigger fleet pages on the execution's own table. */
export const NODE_LIMIT = 1000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export interface AssociationState {
  association: AssociationDescription;
  /** The newest page of executions, newest first. */
  executions: AssociationExecution[];
  executionsNextToken: string | undefined;
  /** The latest execution's targets: the status of the association on each node. */
  latestTargets: AssociationExecutionTarget[];
}

/**
 * Follows one association: DescribeAssociation, its newest executions and the latest one's
 * targets, asked again every 1.5 s while an execution is Pending or InProgress (or one asked
 * for with Run now has not shown up yet), every 10 s while the association waits for its first
 * run, and not at all once everything has finished. `kick` is for after Run now; `refresh`
 * asks once more; `halt` stops for good (before a delete). `tick` counts the answers, so what
 * depends on them can follow along.
 */
export function useAssociation(id: string) {
  const [state, setState] = useState<AssociationState>();
  const [error, setError] = useState<{ error: unknown; fatal: boolean }>();
  const [following, setFollowing] = useState(true);
  const [tick, setTick] = useState(0);
  const [nonce, setNonce] = useState(0);
  const [halted, setHalted] = useState(false);
  const loop = useRef<AbortController | undefined>(undefined);
  const kicked = useRef<{ at: number; known: Set<string> } | undefined>(undefined);
  const known = useRef<string[]>([]);

  useEffect(() => {
    const ctl = new AbortController();
    loop.current = ctl;
    const { signal } = ctl;
    if (halted) {
      setFollowing(false);
      return;
    }
    setFollowing(true);
    void (async () => {
      let failures = 0;
      while (!signal.aborted) {
        try {
          const [d, x] = await Promise.all([
            ssm<{ AssociationDescription: AssociationDescription }>('DescribeAssociation', { AssociationId: id }, { signal }),
            ssm<{ AssociationExecutions?: AssociationExecution[]; NextToken?: string }>('DescribeAssociationExecutions', { AssociationId: id, MaxResults: 50 }, { signal }),
          ]);
          const executions = newestFirst(x.AssociationExecutions ?? []);
          const latest = executions[0];
          const latestTargets = latest
            ? await allPages<{ AssociationExecutionTargets?: AssociationExecutionTarget[]; NextToken?: string }, AssociationExecutionTarget>(
                'DescribeAssociationExecutionTargets',
                { AssociationId: id, ExecutionId: latest.ExecutionId, MaxResults: 50 },
                (p) => p.AssociationExecutionTargets,
                { signal, limit: NODE_LIMIT },
              )
            : [];
          if (signal.aborted) return;
          failures = 0;
          setError(undefined);
          known.current = executions.map((e) => e.ExecutionId);
          setState({ association: d.AssociationDescription, executions, executionsNextToken: x.NextToken || undefined, latestTargets });
          setTick((n) => n + 1);

          const now = Date.now();
          // The execution Run now asked for is one the page had not seen when the button was pressed.
          const kick = kicked.current;
          const kickPending = kick !== undefined && now - kick.at < KICK_MS && executions.every((e) => kick.known.has(e.ExecutionId));
          if (kick !== undefined && !kickPending) kicked.current = undefined;
          const created = toDate(d.AssociationDescription.Date)?.getTime();
          const fresh = executions.length === 0 && !d.AssociationDescription.ApplyOnlyAtCronInterval && created !== undefined && now - created < FRESH_MS;
          const running = executions.some((e) => isRunning(e.Status)) || latestTargets.some((t) => isRunning(t.Status));
          const waiting = d.AssociationDescription.Overview?.Status === 'Pending';
          if (running || kickPending || fresh) await sleep(FAST_MS, signal);
          else if (waiting) await sleep(SLOW_MS, signal);
          else {
            setFollowing(false);
            return;
          }
        } catch (e) {
          if (isAbort(e) || signal.aborted) return;
          // A refusal (no such association, no permission) will be refused again; a blip will pass.
          const transient = !isApiError(e) || e.status >= 500 || e.status === 429 || e.code === 'ThrottlingException';
          setError({ error: e, fatal: !transient });
          if (!transient) {
            setFollowing(false);
            return;
          }
          failures++;
          await sleep(Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)), signal);
        }
      }
    })();
    return () => ctl.abort();
  }, [id, nonce, halted]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  const kick = useCallback(() => {
    kicked.current = { at: Date.now(), known: new Set(known.current) };
    setNonce((n) => n + 1);
  }, []);
  /** Stops asking, for good: the association is being deleted. */
  const halt = useCallback(() => {
    // At once, not at the next render: a question asked after the delete would be refused.
    loop.current?.abort();
    setHalted(true);
  }, []);
  return { state, error, following, tick, refresh, kick, halt };
}
