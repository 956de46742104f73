import { createPrivateKey } from 'node:crypto';
import { answerChallenge } from '@capstan/wire';
import type { JobMessage } from '@capstan/wire';
import { instanceInfo } from './info.js';
import { loadConfig } from './jobs/config.js';
import { JobManager } from './jobs/manager.js';
import { loadIdentity, type Identity } from './state.js';
import { openChannel } from './channel-socket.js';
import { checkEndpoint } from './trust.js';

/** The server's close code for an identity it will not accept: retrying cannot help. */
const CLOSE_REFUSED = 4003;
const BACKOFF_START_MS = 500;
const BACKOFF_CAP_MS = 30_000;

export interface RunOptions {
  stateDir: string;
  log?: (line: string) => void;
  /** Stops the loop (tests, signals). */
  signal?: AbortSignal;
}

export class IdentityRefused extends Error {}

/**
 * Holds the control channel open for as long as it runs: reconnects after any failure with
 * jittered exponential backoff, and gives up only when the server refuses the identity.
 */
export async function runAgent(o: RunOptions): Promise<void> {
  const log = o.log ?? ((line: string) => console.log(`${new Date().toISOString()} ${line}`));
  const { identity } = loadIdentity(o.stateDir);
  checkEndpoint(identity.endpoint, identity.trust);
  let failures = 0;
  log(`agent ${identity.instanceId} starting (server ${identity.endpoint})`);
  const info = instanceInfo();
  const jobs = new JobManager(o.stateDir, identity.instanceId, info.platformType as 'Linux' | 'Windows' | 'MacOS', loadConfig(o.stateDir), log);
  jobs.start();
  o.signal?.addEventListener('abort', () => jobs.stop(), { once: true });
  while (!o.signal?.aborted) {
    // Read the key for every connection: a rotation may have replaced it on disk.
    const key = createPrivateKey(loadIdentity(o.stateDir).privateKeyPem);
    const outcome = await session(identity, key, log, o.signal, () => (failures = 0), jobs);
    if (outcome.refused) throw new IdentityRefused(`the server refused instance ${identity.instanceId}: ${outcome.reason}`);
    if (o.signal?.aborted) break;
    // Full jitter: a fleet that lost the server together does not return in lockstep.
    const delay = Math.round(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** failures++));
    log(`disconnected (${outcome.reason}); reconnecting in ${delay} ms`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      o.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
  log('agent stopped');
}

function session(identity: Identity, key: ReturnType<typeof createPrivateKey>, log: (l: string) => void, signal: AbortSignal | undefined, onOnline: () => void, jobs: JobManager): Promise<{ refused: boolean; reason: string }> {
  return new Promise((resolve) => {
    const instanceId = identity.instanceId;
    const ws = openChannel(identity);
    let reason = 'connection closed';
    let pinger: NodeJS.Timeout | undefined;
    let lastPong = Date.now();
    const abort = () => ws.close(1000, 'agent stopping');
    signal?.addEventListener('abort', abort, { once: true });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type?: string; nonce?: string; pingMs?: number; message?: string; replyId?: string };
      if (m.type === 'challenge' && m.nonce) {
        const signature = answerChallenge(m.nonce, instanceId, key);
        ws.send(JSON.stringify({ type: 'hello', instanceId, signature, info: instanceInfo() }));
        const every = m.pingMs ?? 30_000;
        pinger = setInterval(() => {
          // Two intervals without an answer: the path to the server is dead even if TCP says not.
          if (Date.now() - lastPong > 2 * every + 1000) return ws.terminate();
          ws.send(JSON.stringify({ type: 'ping' }));
        }, every);
      } else if (m.type === 'welcome') {
        lastPong = Date.now();
        onOnline();
        log(`online as ${instanceId}`);
        const pending = jobs.outbox.attach((text) => ws.readyState === ws.OPEN && ws.send(text));
        if (pending) log(`sending ${pending} unacknowledged replies`);
      } else if (m.type === 'job') {
        ws.send(JSON.stringify(jobs.receive(m as unknown as JobMessage)));
      } else if (m.type === 'reply-ack' && m.replyId) {
        jobs.outbox.acked(m.replyId);
      } else if (m.type === 'pong') lastPong = Date.now();
      else if (m.type === 'error') reason = m.message ?? reason;
    });
    ws.on('error', (e) => (reason = e.message));
    ws.on('close', (code, why) => {
      clearInterval(pinger);
      jobs.outbox.detach();
      signal?.removeEventListener('abort', abort);
      if (why.length && reason === 'connection closed') reason = why.toString();
      resolve({ refused: code === CLOSE_REFUSED, reason });
    });
  });
}
