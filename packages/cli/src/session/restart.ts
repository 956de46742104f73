import type { StartedSession } from './start.js';

export interface RestartWatch {
  /** Starts a session on the same node (resolves once it is open, not necessarily ready). */
  probe: () => Promise<StartedSession>;
  /** The node's agent restarted: the old session cannot come back, `replacement` is ready (or undefined if the caller only probed). */
  onRestart: (replacement: StartedSession) => void;
  log?: (line: string) => void;
  /** How long the agent must have been away before the node is probed (default 3 s). */
  awayMs?: number;
  /**
   * Once a new session on the node is ready, how long the old one may still take to come back
   * (default 7 s: an agent that kept the session redials its socket at least every 5 s).
   */
  graceMs?: number;
  /** How often to look (default 250 ms). */
  everyMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Tells a node whose agent restarted from one that is only unreachable for a while. While the
 * agent's side of the session is away (the server paused the stream), the node is probed with a
 * new session; if that one works and the old one is still away after the grace period, the
 * agent that held the session is gone (its sessions die with it) and `onRestart` gets the new
 * session. If the old one comes back first, the probe is ended and nothing happens. Returns a
 * function that stops watching.
 */
export function watchNodeRestart(session: StartedSession, o: RestartWatch): () => void {
  const channel = session.channel;
  let stopped = false;
  const awayMs = o.awayMs ?? 3_000;
  const graceMs = o.graceMs ?? 7_000;
  const every = o.everyMs ?? 250;
  const away = () => channel.stream.paused && !channel.isEnded;

  void (async () => {
    let since: number | undefined;
    // while the node is not back, ask less and less often (each StartSession is an audited call)
    let retry = 1_000;
    while (!stopped && !channel.isEnded) {
      await sleep(every);
      if (!away()) {
        since = undefined;
        retry = 1_000;
        continue;
      }
      since ??= Date.now();
      if (Date.now() - since < awayMs) continue;
      let probe: StartedSession;
      try {
        probe = await o.probe();
      } catch (e) {
        const name = (e as { name?: string }).name ?? '';
        // not allowed to start another session there: nothing to learn by asking again
        if (/AccessDenied|InvalidDocument|DoesNotExist/.test(name)) return;
        // the node is not connected yet
        await sleep(retry);
        retry = Math.min(retry * 2, 10_000);
        continue;
      }
      const ready = await Promise.race([probe.channel.ready.then(() => true, () => false), sleep(15_000).then(() => false)]);
      if (ready) {
        const end = Date.now() + graceMs;
        while (away() && !stopped && Date.now() < end) await sleep(every);
      }
      if (ready && away() && !stopped) {
        stopped = true;
        o.log?.(`the node's agent restarted: session ${session.sessionId} was lost with it`);
        o.onRestart(probe);
        return;
      }
      probe.channel.close('not needed');
      await probe.terminate();
      since = undefined;
    }
  })();
  return () => {
    stopped = true;
  };
}
