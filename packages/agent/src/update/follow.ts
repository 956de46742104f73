import { SUPERVISOR_PID_ENV } from './layout.js';

const CHECK_MS = 1_000;

/**
 * An agent a supervisor started stops when that supervisor is gone (its parent changes): a new
 * supervisor starts an agent of its own, and two agents of one node would take turns replacing
 * each other's connection.
 */
export function followSupervisor(stop: AbortController): void {
  const pid = Number(process.env[SUPERVISOR_PID_ENV]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const timer = setInterval(() => {
    if (process.ppid !== pid) {
      clearInterval(timer);
      stop.abort();
    }
  }, CHECK_MS);
  timer.unref();
  stop.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
