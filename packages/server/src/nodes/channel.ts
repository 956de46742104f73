import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { challengeBytes, type AckMessage, type OutputMessage, type ReplyMessage } from '@capstan/wire';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { RegistrationRefused, type NodeService } from './service.js';

export const REGISTER_PATH = '/capstan/agent/v1/register';
export const CHANNEL_PATH = '/capstan/agent/v1/channel';

/** Close codes the agent acts on: 4003 means its identity is refused and retrying will not help. */
export const CLOSE_REFUSED = 4003;
export const CLOSE_REPLACED = 4000;

const str = (v: unknown, max = 256) => (typeof v === 'string' ? v.slice(0, max) : '');

function signedBy(publicKey: string, message: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, message, createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' }), signature);
  } catch {
    return false;
  }
}

/** The agent tells, in its hello, the last failure it saw while it could not reach the server. */
function lastError(v: unknown): { last_error: string; last_error_at: number } | Record<string, never> {
  const e = (v ?? {}) as { message?: unknown; at?: unknown };
  if (typeof e.message !== 'string' || typeof e.at !== 'number') return {};
  return { last_error: e.message.slice(0, 500), last_error_at: Math.round(e.at) };
}

/** The agent-facing endpoints: registration over HTTP and the control channel over WebSocket. */
export function attachAgentEndpoints(app: FastifyInstance, nodes: NodeService): void {
  app.post(REGISTER_PATH, async (req, reply) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '') as Record<string, unknown>;
    } catch {
      return reply.code(400).send({ error: 'the body must be JSON' });
    }
    const { activationId, activationCode, publicKey, region, hostname } = body;
    if (typeof activationId !== 'string' || typeof activationCode !== 'string' || typeof publicKey !== 'string') {
      return reply.code(400).send({ error: 'activationId, activationCode and publicKey are required' });
    }
    try {
      const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
    } catch {
      return reply.code(400).send({ error: 'publicKey must be an Ed25519 public key, base64 SPKI DER' });
    }
    try {
      const out = await nodes.register({ activationId, activationCode, publicKey, ...(typeof region === 'string' ? { region } : {}), ...(typeof hostname === 'string' ? { hostname: hostname.slice(0, 255) } : {}) });
      return reply.code(200).send(out);
    } catch (e) {
      if (e instanceof RegistrationRefused) return reply.code(403).send({ error: `registration refused: ${e.message}` });
      throw e;
    }
  });

  // Output arrives in pieces of at most 64 KiB, base64 in JSON; a reply carries two previews.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  const channels = new Map<string, WebSocket>();
  const jobs = nodes.jobs;
  nodes.closeChannel = (instanceId) => channels.get(instanceId)?.close(CLOSE_REFUSED, 'instance deregistered');
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== CHANNEL_PATH) return void (nodes.upgradeHandlers.some((h) => h(req, socket, head)) || socket.destroy());
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, req));
  });
  // preClose: Fastify's own onClose waits for the HTTP server to close, which waits for these sockets.
  app.addHook('preClose', async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });

  const serve = (ws: WebSocket, req: IncomingMessage) => {
    const nonce = randomBytes(32);
    let state: 'challenged' | 'verifying' | 'ready' = 'challenged';
    let instanceId = '';
    const refuse = (reason: string) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', message: reason }));
      ws.close(CLOSE_REFUSED, reason.slice(0, 120));
    };
    ws.send(JSON.stringify({ type: 'challenge', nonce: nonce.toString('base64'), pingMs: nodes.pingMs }));
    ws.on('message', (data) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        return refuse('messages must be JSON');
      }
      if (state === 'challenged' && m.type === 'hello') {
        // Each challenge is answered once: a second hello on this connection is a replay.
        state = 'verifying';
        void hello(m).catch(() => refuse('internal error'));
      } else if (state === 'ready' && m.type === 'ping') {
        void nodes.update(instanceId, { last_ping_at: nodes.core.clock.now(), connected: 1 }).then(
          () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'pong' })),
          () => undefined,
        );
      } else if (state === 'ready' && m.type === 'rotate-key') {
        void stageKey(m).catch(() => refuse('internal error'));
      } else if (state === 'ready' && (m.type === 'ack' || m.type === 'reply' || m.type === 'output')) {
        agentMessage(m);
      } else if (state === 'ready' && nodes.agentMessageHandlers.some((h) => h(instanceId, m))) {
        // taken by another capability (sessions: session-ack)
      } else if (state !== 'verifying') refuse(`unexpected ${str(m.type, 20) || 'message'} in state ${state}`);
    });

    // Answers to jobs go to the capability that sent them; a reply or output is acknowledged only
    // once stored, and the agent keeps it until then. A failed store is not acknowledged: the
    // agent sends it again after its next reconnect.
    const agentMessage = (m: Record<string, unknown>) => {
      const sink = jobs.sink;
      if (!sink || typeof m.id !== 'string') return;
      const id = instanceId;
      if (m.type === 'ack') {
        void sink.ack(id, m as unknown as AckMessage).catch(() => undefined);
        return;
      }
      if (typeof m.replyId !== 'string') return;
      const replyId = m.replyId;
      const stored = m.type === 'reply' ? sink.reply(id, m as unknown as ReplyMessage) : sink.output(id, m as unknown as OutputMessage);
      stored.then(
        () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'reply-ack', replyId })),
        () => undefined,
      );
    };
    ws.on('close', (code, why) => {
      if (state !== 'ready' || channels.get(instanceId) !== ws) return;
      channels.delete(instanceId);
      jobs.channels.delete(instanceId);
      const reason = `closed with code ${code}${why.length ? ` (${why.toString().slice(0, 120)})` : ''}`;
      void nodes.update(instanceId, { connected: 0, disconnected_at: nodes.core.clock.now(), disconnect_reason: reason }).catch(() => undefined);
    });

    // Phase one of a key rotation: the agent proves it holds the new key by signing this
    // connection's challenge with it; the new key is kept beside the old until it is used.
    const stageKey = async (m: Record<string, unknown>) => {
      const publicKey = str(m.publicKey, 200);
      const proof = Buffer.from(str(m.proof, 200), 'base64');
      let ok = false;
      try {
        const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
        ok = key.asymmetricKeyType === 'ed25519' && verify(null, challengeBytes(nonce, instanceId), key, proof);
      } catch {
        ok = false;
      }
      if (!ok) return ws.send(JSON.stringify({ type: 'error', message: 'rotate-key: the proof is not a signature of this challenge by the new key' }));
      await nodes.update(instanceId, { next_public_key: publicKey });
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'key-staged' }));
    };

    const hello = async (m: Record<string, unknown>) => {
      const id = str(m.instanceId, 32);
      const row = id ? await nodes.instanceById(id) : undefined;
      if (!row) return refuse(`instance ${id || '(none)'} is not registered or was deregistered`);
      const message = challengeBytes(nonce, id);
      const signature = Buffer.from(str(m.signature, 200), 'base64');
      // During a key rotation both keys open the channel; the first hello signed with the new one retires the old.
      const withCurrent = signedBy(row.public_key, message, signature);
      const withNext = !withCurrent && row.next_public_key !== null && signedBy(row.next_public_key, message, signature);
      if (!withCurrent && !withNext) return refuse(`the signature does not match instance ${id}'s key`);
      if (withNext) await nodes.update(id, { public_key: row.next_public_key!, next_public_key: null, key_rotated_at: nodes.core.clock.now() });
      if (ws.readyState !== ws.OPEN) return;
      // `capstan agent diagnose` proves the identity without displacing the running agent's channel.
      if (m.probe === true) {
        ws.send(JSON.stringify({ type: 'welcome', instanceId: id, probe: true }));
        return void ws.close(1000, 'probe done');
      }
      const i = (m.info ?? {}) as Record<string, unknown>;
      const ip = str(i.ipAddress, 64) || (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      await nodes.update(id, {
        connected: 1,
        last_ping_at: nodes.core.clock.now(),
        agent_version: str(i.agentVersion, 64),
        platform_type: ['Linux', 'Windows', 'MacOS'].includes(str(i.platformType)) ? str(i.platformType) : 'Linux',
        platform_name: str(i.platformName),
        platform_version: str(i.platformVersion),
        ip_address: ip,
        computer_name: str(i.hostname) || row.computer_name,
        ...lastError(i.lastError),
        ...nodes.hostFacts({ architecture: str(i.architecture, 32), kernel: str(i.kernel) }),
      });
      instanceId = id;
      state = 'ready';
      const previous = channels.get(id);
      channels.set(id, ws);
      jobs.channels.set(id, ws);
      previous?.close(CLOSE_REPLACED, 'replaced by a newer connection');
      ws.send(JSON.stringify({ type: 'welcome', instanceId: id }));
      await jobs.resend(id, ws);
    };
  };
}
