import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyAge, promoteNextKey, stageNextKey } from './rotation.js';
import { answerChallenge } from '@capstan/wire';
import type { JobMessage } from '@capstan/wire';
import { nodeBootTime } from './boot.js';
import { AGENT_VERSION, helloInfo, instanceInfo, type BootFacts } from './info.js';
import { ONLINE_FILE_ENV } from './update/layout.js';
import { loadConfig } from './jobs/config.js';
import { JobManager } from './jobs/manager.js';
import { loadIdentity, type Identity } from './state.js';
import { openChannel, sendMessagePiece } from './channel-socket.js';
import { checkEndpoint } from './trust.js';
import type { SessionEndMessage, SessionManager, SessionStartMessage } from './session/index.js';

/** The server's close code for an identity it will not accept: retrying cannot help. */
const CLOSE_REFUSED = 4003;
const BACKOFF_START_MS = 500;
const BACKOFF_CAP_MS = 30_000;

export interface RunOptions {
  stateDir: string;
  log?: (line: string) => void;
  /** Stops the loop (tests, signals). */
  signal?: AbortSignal;
  /** Overrides `applyAssociationsOnBoot` of the config file and environment (a command-line flag). */
  applyAssociationsOnBoot?: boolean;
  /** Connect once, then stop, running no jobs: how the supervisor tries a new release beside the running agent. */
  probe?: boolean;
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
  const config = loadConfig(o.stateDir);
  const boot: BootFacts = { bootTime: nodeBootTime(o.stateDir), applyAssociationsOnBoot: o.applyAssociationsOnBoot ?? config.applyAssociationsOnBoot };
  if (boot.applyAssociationsOnBoot) log(`applyAssociationsOnBoot is on: the server runs this node's associations when it sees a boot it has not seen (this one began ${new Date(boot.bootTime).toISOString()})`);
  const jobs = new JobManager(o.stateDir, identity.instanceId, info.platformType as 'Linux' | 'Windows' | 'MacOS', config, log);
  if (!o.probe) jobs.start();
  let probed = false;
  o.signal?.addEventListener('abort', () => jobs.stop(), { once: true });
  // Sessions run on their own sockets and outlive control-channel reconnects. Their code (PTYs,
  // the data channel) loads with the first session, so an idle agent does not carry it.
  let manager: Promise<SessionManager> | undefined;
  const sessions = {
    get: () =>
      (manager ??= import('./session/index.js').then((m) => {
        const created = new m.SessionManager({ identity, key: () => createPrivateKey(loadIdentity(o.stateDir).privateKeyPem), log });
        o.signal?.addEventListener('abort', () => created.stopAll(), { once: true });
        return created;
      })),
  };
  let lastError = readLastError(o.stateDir);
  while (!o.signal?.aborted) {
    // Read the key for every connection: a rotation may have replaced it on disk.
    const key = createPrivateKey(loadIdentity(o.stateDir).privateKeyPem);
    const outcome = await session({ stateDir: o.stateDir, identity, key, log, signal: o.signal, jobs, sessions, boot, rotateAfterMs: config.keyRotationDays * 86_400_000, lastError, probe: o.probe === true, onOnline: () => ((failures = 0), (lastError = undefined), (probed = true), clearLastError(o.stateDir)) });
    if (outcome.refused) throw new IdentityRefused(`the server refused instance ${identity.instanceId}: ${outcome.reason}`);
    if (o.signal?.aborted || (o.probe && probed)) break;
    if (!outcome.rotated) {
      lastError = { message: outcome.reason, at: Date.now() };
      writeLastError(o.stateDir, lastError);
    }
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

interface Session {
  stateDir: string;
  identity: Identity;
  key: KeyObject;
  log: (line: string) => void;
  signal: AbortSignal | undefined;
  jobs: JobManager;
  sessions: { get(): Promise<SessionManager> };
  rotateAfterMs: number;
  boot: BootFacts;
  /** Reported in the hello, so the server can say why this node was away. */
  lastError: LastError | undefined;
  probe: boolean;
  onOnline: () => void;
}

function session(s: Session): Promise<{ refused: boolean; reason: string; rotated?: boolean }> {
  const { identity, key, log, signal, jobs } = s;
  return new Promise((resolve) => {
    const instanceId = identity.instanceId;
    let nonce = '';
    let rotating = false;
    let rotated = false;
    const maybeRotate = () => {
      if (rotating || ws.readyState !== ws.OPEN || keyAge(s.stateDir) < s.rotateAfterMs) return;
      rotating = true;
      log('rotating the node key: registering a new key with the server');
      ws.send(JSON.stringify({ type: 'rotate-key', ...stageNextKey(s.stateDir, instanceId, nonce) }));
    };
    const ws = openChannel(identity);
    let reason = 'connection closed';
    let pinger: NodeJS.Timeout | undefined;
    let lastPong = Date.now();
    const abort = () => ws.close(1000, 'agent stopping');
    signal?.addEventListener('abort', abort, { once: true });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type?: string; nonce?: string; pingMs?: number; message?: string; replyId?: string };
      // A probe holds the node's connection only for a moment: jobs and sessions it leaves unacknowledged go to the agent that reconnects.
      if (s.probe && m.type !== 'challenge' && m.type !== 'welcome' && m.type !== 'error') return;
      if (m.type === 'challenge' && m.nonce) {
        nonce = m.nonce;
        const signature = answerChallenge(m.nonce, instanceId, key);
        ws.send(JSON.stringify({ type: 'hello', instanceId, signature, info: helloInfo(s.boot, s.lastError) }));
        const every = m.pingMs ?? 30_000;
        pinger = setInterval(() => {
          // Two intervals without an answer: the path to the server is dead even if TCP says not.
          if (Date.now() - lastPong > 2 * every + 1000) return ws.terminate();
          ws.send(JSON.stringify({ type: 'ping' }));
          maybeRotate();
          const again = jobs.outbox.resendOlderThan(2 * every);
          if (again) log(`sent ${again} replies again that the server has not acknowledged`);
        }, every);
      } else if (m.type === 'welcome') {
        lastPong = Date.now();
        s.onOnline();
        log(`online as ${instanceId}`);
        markOnline();
        if (s.probe) return ws.close(1000, 'probe connected');
        const pending = jobs.outbox.attach((piece, last) => ws.readyState === ws.OPEN && sendMessagePiece(ws, piece, last));
        if (pending) log(`sending ${pending} unacknowledged replies`);
        maybeRotate();
      } else if (m.type === 'key-staged') {
        // The server holds both keys now: switch to the new one and reconnect with it, which retires the old.
        promoteNextKey(s.stateDir);
        rotated = true;
        log('key rotated; reconnecting with the new key');
        ws.close(1000, 'key rotated');
      } else if (m.type === 'job') {
        ws.send(JSON.stringify(jobs.receive(m as unknown as JobMessage)));
      } else if (m.type === 'session' || m.type === 'session-end') {
        void s.sessions.get().then(
          (mgr) => mgr.handle(m as unknown as SessionStartMessage | SessionEndMessage, (ack) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(ack))),
          (e: Error) => log(`sessions unavailable: ${e.message}`),
        );
      } else if (m.type === 'reply-ack' && m.replyId) {
        jobs.outbox.acked(m.replyId);
        // The server did not keep an inventory report: the next run sends every type in full.
        if ((m as { inventoryResend?: unknown }).inventoryResend === true) forgetInventoryHashes(s.stateDir);
      } else if (m.type === 'pong') lastPong = Date.now();
      else if (m.type === 'error') reason = m.message ?? reason;
    });
    ws.on('error', (e) => (reason = e.message));
    ws.on('close', (code, why) => {
      clearInterval(pinger);
      jobs.outbox.detach();
      signal?.removeEventListener('abort', abort);
      if (why.length && reason === 'connection closed') reason = why.toString();
      resolve({ refused: code === CLOSE_REFUSED, reason, rotated });
    });
  });
}

/** The supervisor names a file per agent it starts: written once the agent is online, it is how a new release shows it connected. */
function markOnline(): void {
  const file = process.env[ONLINE_FILE_ENV];
  if (file) writeFileSync(file, `${AGENT_VERSION}\n`, { mode: 0o600 });
}

interface LastError {
  message: string;
  at: number;
}

const LAST_ERROR = 'last-error.json';

function readLastError(stateDir: string): LastError | undefined {
  try {
    return existsSync(join(stateDir, LAST_ERROR)) ? (JSON.parse(readFileSync(join(stateDir, LAST_ERROR), 'utf8')) as LastError) : undefined;
  } catch {
    return undefined;
  }
}

const writeLastError = (stateDir: string, e: LastError) => writeFileSync(join(stateDir, LAST_ERROR), JSON.stringify(e), { mode: 0o600 });
const clearLastError = (stateDir: string) => rmSync(join(stateDir, LAST_ERROR), { force: true });

/** aws:softwareInventory keeps the last sent hash per type here (exec/plugins/software-inventory.ts). */
export const INVENTORY_HASHES = ['inventory', 'hashes.json'] as const;

function forgetInventoryHashes(stateDir: string): void {
  rmSync(join(stateDir, ...INVENTORY_HASHES), { force: true });
}
