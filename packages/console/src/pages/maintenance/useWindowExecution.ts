import { useCallback, useEffect, useState } from 'react';
import { allPages, ssm } from '../../api/client';
import { isAbort, isApiError } from '../../api/errors';
import type { MaintenanceWindowExecutionDetail, MaintenanceWindowExecutionTaskIdentity, MaintenanceWindowExecutionTaskInvocationIdentity } from '../../api/types';
import { isRunning } from './windows';

const POLL_MS = 1500;
/** Invocations shown per task; a task on a bigger fleet lists the first ones. */
export const INVOCATION_LIMIT = 1000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export interface TaskWithInvocations {
  task: MaintenanceWindowExecutionTaskIdentity;
  /** From GetMaintenanceWindowExecutionTask: the task's definition as the execution copied it. */
  priority?: number | undefined;
  invocations: MaintenanceWindowExecutionTaskInvocationIdentity[];
}

export interface WindowExecutionState {
  execution: MaintenanceWindowExecutionDetail;
  tasks: TaskWithInvocations[];
}

/**
 * Follows one window execution: GetMaintenanceWindowExecution, its tasks and each task's
 * invocations, every 1.5 s while the execution is PENDING, IN_PROGRESS or CANCELLING; a
 * finished task's invocations are not asked for again. `refresh` asks at once (after Cancel).
 */
export function useWindowExecution(executionId: string) {
  const [state, setState] = useState<WindowExecutionState>();
  const [error, setError] = useState<{ error: unknown; fatal: boolean }>();
  const [following, setFollowing] = useState(true);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    const ctl = new AbortController();
    const { signal } = ctl;
    setFollowing(true);
    const done = new Map<string, MaintenanceWindowExecutionTaskInvocationIdentity[]>();
    // The execution's copy of a task does not change, so it is asked for once.
    const priorities = new Map<string, number | undefined>();
    void (async () => {
      let failures = 0;
      while (!signal.aborted) {
        try {
          const [execution, identities] = await Promise.all([
            ssm<MaintenanceWindowExecutionDetail>('GetMaintenanceWindowExecution', { WindowExecutionId: executionId }, { signal }),
            allPages<{ WindowExecutionTaskIdentities?: MaintenanceWindowExecutionTaskIdentity[]; NextToken?: string }, MaintenanceWindowExecutionTaskIdentity>(
              'DescribeMaintenanceWindowExecutionTasks',
              { WindowExecutionId: executionId, MaxResults: 100 },
              (p) => p.WindowExecutionTaskIdentities,
              { signal, limit: 1000 },
            ),
          ]);
          const tasks = await Promise.all(
            identities.map(async (task): Promise<TaskWithInvocations> => {
              if (!priorities.has(task.TaskExecutionId)) {
                const detail = await ssm<{ Priority?: number }>('GetMaintenanceWindowExecutionTask', { WindowExecutionId: executionId, TaskId: task.TaskExecutionId }, { signal });
                priorities.set(task.TaskExecutionId, detail.Priority);
              }
              const priority = priorities.get(task.TaskExecutionId);
              const known = done.get(task.TaskExecutionId);
              if (known) return { task, priority, invocations: known };
              const invocations = await allPages<{ WindowExecutionTaskInvocationIdentities?: MaintenanceWindowExecutionTaskInvocationIdentity[]; NextToken?: string }, MaintenanceWindowExecutionTaskInvocationIdentity>(
                'DescribeMaintenanceWindowExecutionTaskInvocations',
                { WindowExecutionId: executionId, TaskId: task.TaskExecutionId, MaxResults: 100 },
                (p) => p.WindowExecutionTaskInvocationIdentities,
                { signal, limit: INVOCATION_LIMIT },
              );
              if (!isRunning(task.Status) && !invocations.some((i) => isRunning(i.Status))) done.set(task.TaskExecutionId, invocations);
              return { task, priority, invocations };
            }),
          );
          if (signal.aborted) return;
          failures = 0;
          setError(undefined);
          setState({ execution, tasks });
          if (!isRunning(execution.Status)) {
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
  }, [executionId, nonce]);

  const refresh = useCallback(() => setNonce((n) => n + 1), []);
  return { state, error, following, refresh };
}
