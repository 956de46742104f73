import { useCallback, useEffect, useState } from 'react';
import { allPages, ssm } from '../../api/client';
import { isAbort, isApiError } from '../../api/errors';
import type { AutomationExecution, StepExecution } from '../../api/types';
import { isTerminal } from './graph';

/** How often a running execution is asked for again. */
const POLL_MS = 1500;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Follows one execution: GetAutomationExecution every 1.5 s until its status is terminal (a
 * Waiting execution is still followed: someone else may approve it). When the answer says its
 * step list is truncated, the steps come from DescribeAutomationStepExecutions instead.
 * `refresh` asks at once, as after sending a signal.
 */
export function useExecution(id: string) {
  const [execution, setExecution] = useState<AutomationExecution>();
  const [error, setError] = useState<{ error: unknown; fatal: boolean }>();
  const [following, setFollowing] = useState(true);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    const { signal } = ctl;
    setFollowing(true);
    void (async () => {
      let failures = 0;
      while (!signal.aborted) {
        try {
          const r = await ssm<{ AutomationExecution: AutomationExecution }>('GetAutomationExecution', { AutomationExecutionId: id }, { signal });
          let exec = r.AutomationExecution;
          if (exec.StepExecutionsTruncated) {
            const steps = await allPages<{ StepExecutions?: StepExecution[]; NextToken?: string }, StepExecution>('DescribeAutomationStepExecutions', { AutomationExecutionId: id, MaxResults: 50 }, (p) => p.StepExecutions, { signal });
            exec = { ...exec, StepExecutions: steps };
          }
          if (signal.aborted) return;
          failures = 0;
          setError(undefined);
          setExecution(exec);
          if (isTerminal(exec.AutomationExecutionStatus)) {
            setFollowing(false);
            return;
          }
          await sleep(POLL_MS, signal);
        } catch (e) {
          if (isAbort(e) || signal.aborted) return;
          // A refusal (no such execution, no permission) will be refused again; a blip will pass.
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
  }, [id, nonce]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  return { execution, error, following, refresh };
}
