import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { challengeBytes, type AckMessage, type HelloInfo, type InventoryItem, type OutputMessage, type ReplyMessage } from '@capstan/wire';
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

/** The node's boot as the hello reports it, in whole seconds; undefined from an agent that does not report boots. */
function bootTime(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e15 ? Math.round(v / 1000) * 1000 : undefined;
}

function isInventoryItem(v: unknown): v is InventoryItem {
  const i = v as Partial<InventoryItem> | null;
  return (
    typeof i === 'object' && i !== null && typeof i.TypeName === 'string' && typeof i.SchemaVersion === 'string' && typeof i.CaptureTime === 'string' &&
    Array.isArray(i.Content) && i.Content.every((r) => typeof r === 'object' && r !== null && Object.values(r).every((x) => typeof x === 'string'))
  );
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

  // Output arrives in pieces of at most 64 KiB, base64 in JSON; a reply carries two previews; an
  // inventory report carries one type (a node's package list can pass a megabyte).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 });
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
    // A frame over maxPayload or breaking the WebSocket framing: ws closes the socket itself
    // (1009, 1002) and reports it here; unheard, the error would bring the whole server down.
    ws.on('error', () => undefined);
    ws.send(JSON.stringify({ type: 'challenge', nonce: nonce.toString('base64'), pingMs: nodes.pingMs }));
    ws.on('message', (data) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        return refuse('messages must be JSON');
      }
      if (m === null || typeof m !== 'object' || Array.isArray(m)) return refuse('messages must be JSON objects');
      if (state === 'challenged' && m.type === 'hello') {
        // Each challenge is answered once: a second hello on this connection is a replay.
        state = 'verifying';
        void hello(m).catch(() => refuse('internal error'));
      } else if (state === 'ready' && m.type === 'ping') {
        // The ping also re-asserts who holds the channel: a replica wrongly declared dead (a long
        // pause) takes its nodes back.
        void nodes.update(instanceId, { last_ping_at: nodes.core.clock.now(), connected: 1, channel_replica: nodes.core.cluster.replicaId }).then(
          () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'pong' })),
          () => undefined,
        );
      } else if (state === 'ready' && m.type === 'rotate-key') {
        void stageKey(m).catch(() => refuse('internal error'));
      } else if (state === 'ready' && (m.type === 'ack' || m.type === 'reply' || m.type === 'output')) {
        agentMessage(m);
      } else if (state === 'ready' && m.type === 'inventory') {
        inventory(m);
      } else if (state === 'ready' && m.type === 'patch-report') {
        patchReport(m);
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
    // Inventory goes to the capability that keeps it; acknowledged once it has it, so the agent
    // never loses a report. `inventoryResend` makes the agent forget its hashes and send every
    // type in full next time: asked by the handler (it lacks what an unchanged type refers to) or
    // when nothing keeps inventory (the report is logged and dropped).
    const inventory = (m: Record<string, unknown>) => {
      if (typeof m.replyId !== 'string' || !Array.isArray(m.items)) return;
      const replyId = m.replyId;
      const items = (m.items as unknown[]).filter(isInventoryItem);
      const id = instanceId;
      const handled = (async (): Promise<boolean> => {
        const handler = nodes.inventoryHandler;
        if (!handler) {
          app.log.warn(`inventory from ${id} dropped: nothing receives inventory (${items.map((i) => i.TypeName).join(', ')})`);
          return true;
        }
        const row = await nodes.instanceById(id);
        if (!row) return false;
        return (await handler(row.account_id, row.region, id, items))?.resend === true;
      })();
      handled.then(
        (resend) => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'reply-ack', replyId, ...(resend ? { inventoryResend: true } : {}) })),
        (e: unknown) => app.log.warn(`inventory from ${id} not stored: ${(e as Error).message}`),
      );
    };
    // Patch reports go to the capability that keeps them, acknowledged once stored (or dropped
    // when nothing keeps them), like inventory.
    const patchReport = (m: Record<string, unknown>) => {
      if (typeof m.replyId !== 'string') return;
      const replyId = m.replyId;
      const id = instanceId;
      const handled = (async (): Promise<boolean> => {
        const handler = nodes.patchReportHandler;
        if (!handler) {
          app.log.warn(`patch report from ${id} dropped: nothing receives patch reports`);
          return true;
        }
        const row = await nodes.instanceById(id);
        if (!row) return false;
        await handler(row.account_id, row.region, id, m);
        return true;
      })();
      handled.then(
        (done) => done && ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'reply-ack', replyId })),
        (e: unknown) => app.log.warn(`patch report from ${id} not stored: ${(e as Error).message}`),
      );
    };
    ws.on('close', (code, why) => {
      if (state !== 'ready' || channels.get(instanceId) !== ws) return;
      channels.delete(instanceId);
      jobs.channels.delete(instanceId);
      jobs.channelGone(instanceId);
      const reason = `closed with code ${code}${why.length ? ` (${why.toString().slice(0, 120)})` : ''}`;
      void nodes.updateIfHolder(instanceId, { connected: 0, channel_replica: '', disconnected_at: nodes.core.clock.now(), disconnect_reason: reason }).catch(() => undefined);
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
      const i = (m.info ?? {}) as Partial<Record<keyof HelloInfo, unknown>>;
      const ip = str(i.ipAddress, 64) || (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      await nodes.pingEvents.connected(id, {
        connected: 1,
        channel_replica: nodes.core.cluster.replicaId,
        last_ping_at: nodes.core.clock.now(),
        agent_version: str(i.agentVersion, 64),
        platform_type: ['Linux', 'Windows', 'MacOS'].includes(str(i.platformType)) ? str(i.platformType) : 'Linux',
        platform_name: str(i.platformName),
        platform_version: str(i.platformVersion),
        ip_address: ip,
        computer_name: str(i.hostname) || row.computer_name,
        ...lastError(i.lastError),
        ...nodes.hostFacts({ architecture: str(i.architecture, 32), kernel: str(i.kernel) }),
      }, (trx) => nodes.boots.reported(trx, id, { bootTime: bootTime(i.bootTime), applyAssociationsOnBoot: i.applyAssociationsOnBoot === true }, nodes.core.clock.now()));
      instanceId = id;
      state = 'ready';
      const previous = channels.get(id);
      channels.set(id, ws);
      jobs.channels.set(id, ws);
      jobs.channelGone(id);
      previous?.close(CLOSE_REPLACED, 'replaced by a newer connection');
      ws.send(JSON.stringify({ type: 'welcome', instanceId: id }));
      await jobs.resend(id, ws);
    };
  };
}
