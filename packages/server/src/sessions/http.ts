import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { challengeBytes, session as wire } from '@capstan/wire';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Core } from '../protocol/context.js';
import { runCall } from '../protocol/pipeline.js';
import { SSM } from '../protocol/services.js';
import { openSessionDataKey } from './data-key.js';
import { AGENT_SESSION_PATH, STREAM_PATH, type SessionService } from './service.js';

/** Close code for a socket whose token or identity is refused: retrying with the same will not help. */
export const CLOSE_REFUSED = 4003;
const FRAME_LIMIT = 2 * 1024 * 1024;
const SESSION_ID = '[A-Za-z0-9_.@+=,-]{1,96}';
const STREAM = new RegExp(`^${STREAM_PATH}/(${SESSION_ID})/stream$`);
const AGENT = new RegExp(`^${AGENT_SESSION_PATH}/(${SESSION_ID})$`);
const TRANSCRIPT = new RegExp(`^${STREAM_PATH}/(${SESSION_ID})/transcript$`);
/** The socket must say who it is within this long. */
const OPEN_TIMEOUT_MS = 15_000;

export const transcriptPath = (sessionId: string) => `${STREAM_PATH}/${sessionId}/transcript`;

function signedBy(publicKey: string, message: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, message, createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' }), signature);
  } catch {
    return false;
  }
}

/**
 * The session sockets: the client's stream (`…/session/<id>/stream`, opened with its single-use
 * token) and the agent's (`/capstan/agent/v1/session/<id>`, opened by signing a challenge with
 * the node's key); and the transcript download (`…/session/<id>/transcript`, SigV4-signed,
 * authorized as CapstanGetSessionTranscript).
 */
export function attachSessionEndpoints(app: FastifyInstance, core: Core, svc: SessionService): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: FRAME_LIMIT });
  svc.nodes.upgradeHandlers.push((req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const client = STREAM.exec(path);
    const agent = AGENT.exec(path);
    if (!client && !agent) return false;
    wss.handleUpgrade(req, socket, head, (ws) => {
      // An oversized or malformed frame: ws closes the socket (1009, 1002) and reports it here;
      // unheard, the error would bring the whole server down.
      ws.on('error', () => undefined);
      if (client) serveClient(ws, client[1]!);
      else serveAgent(ws, agent![1]!);
    });
    return true;
  });
  app.addHook('preClose', async () => {
    await svc.stop();
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });

  const refuse = (ws: WebSocket, reason: string) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', message: reason }));
    ws.close(CLOSE_REFUSED, reason.slice(0, 120));
  };
  const deadline = (ws: WebSocket) => {
    const t = setTimeout(() => refuse(ws, 'too slow to open the session'), OPEN_TIMEOUT_MS);
    t.unref();
    return t;
  };

  // First frame: OpenDataChannelInput {MessageSchemaVersion, RequestId, TokenValue, ClientId, ClientVersion}.
  const serveClient = (ws: WebSocket, sessionId: string) => {
    const timer = deadline(ws);
    let state: 'opening' | 'checking' | 'open' = 'opening';
    ws.on('message', (data, isBinary) => {
      if (state !== 'opening') return;
      state = 'checking';
      clearTimeout(timer);
      let m: Record<string, unknown>;
      try {
        // `null` is valid JSON, and reading a member of it would throw out of the listener.
        m = isBinary ? {} : ((JSON.parse(data.toString()) ?? {}) as Record<string, unknown>);
      } catch {
        m = {};
      }
      if (typeof m.TokenValue !== 'string' || !m.TokenValue) return refuse(ws, 'the first message must be OpenDataChannelInput with the TokenValue of StartSession or ResumeSession');
      const clientId = typeof m.ClientId === 'string' ? m.ClientId.slice(0, 128) : '';
      void svc.takeToken(sessionId, m.TokenValue).then(
        (relay) => {
          if (!relay) return refuse(ws, `the token is not valid for session ${sessionId} (each token opens one connection; ResumeSession gives a new one)`);
          if (ws.readyState !== ws.OPEN) return;
          state = 'open';
          relay.attach('client', ws, clientId);
        },
        () => refuse(ws, 'internal error'),
      );
    });
  };

  // {"type":"challenge","nonce"} → {"type":"hello","instanceId","signature"} → {"type":"ready"}, then binary AgentMessages.
  const serveAgent = (ws: WebSocket, sessionId: string) => {
    const timer = deadline(ws);
    const nonce = randomBytes(32);
    let state: 'challenged' | 'verifying' | 'ready' = 'challenged';
    let authenticated = '';
    ws.send(JSON.stringify({ type: 'challenge', nonce: nonce.toString('base64') }));
    ws.on('message', (data, isBinary) => {
      if (state !== 'challenged') return;
      state = 'verifying';
      clearTimeout(timer);
      let m: Record<string, unknown>;
      try {
        // `null` is valid JSON, and reading a member of it would throw out of the listener.
        m = isBinary ? {} : ((JSON.parse(data.toString()) ?? {}) as Record<string, unknown>);
      } catch {
        m = {};
      }
      const id = typeof m.instanceId === 'string' ? m.instanceId.slice(0, 32) : '';
      const signature = Buffer.from(typeof m.signature === 'string' ? m.signature.slice(0, 200) : '', 'base64');
      void (async () => {
        const row = id ? await svc.nodes.instanceById(id) : undefined;
        const message = challengeBytes(nonce, id);
        if (!row || m.type !== 'hello' || !(signedBy(row.public_key, message, signature) || (row.next_public_key !== null && signedBy(row.next_public_key, message, signature)))) {
          return refuse(ws, `the hello is not signed by instance ${id || '(none)'}'s key`);
        }
        const relay = svc.relays.get(sessionId);
        if (!relay || relay.ended) return refuse(ws, `session ${sessionId} is not active on this server`);
        if (relay.ids.agent !== id) return refuse(ws, `session ${sessionId} is not for instance ${id}`);
        if (ws.readyState !== ws.OPEN) return;
        state = 'ready';
        authenticated = id;
        ws.send(JSON.stringify({ type: 'ready' }));
        relay.attach('agent', ws);
      })().catch(() => refuse(ws, 'internal error'));
    });
    // After ready, text frames are the agent's requests to the server (binary ones go to the relay), one at a time.
    let asking = false;
    ws.on('message', (data, isBinary) => {
      if (state !== 'ready' || isBinary) return;
      const req = wire.parseDataKeyRequest(data.toString());
      if (!req) return;
      const answer = (reply: wire.DataKeyReply) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(reply));
      if (asking) return void answer({ type: 'kms-error', requestId: req.requestId, message: 'one data key request at a time' });
      asking = true;
      void openSessionDataKey(svc, sessionId, authenticated, req)
        .catch((): wire.DataKeyReply => ({ type: 'kms-error', requestId: req.requestId, message: 'internal error' }))
        .then((reply) => ((asking = false), answer(reply)));
    });
  };

  app.get(`${STREAM_PATH}/:sessionId/transcript`, async (req, reply) => {
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const m = TRANSCRIPT.exec(path);
    const op = core.registry.byJsonTarget('AmazonSSM.CapstanGetSessionTranscript');
    if (!m || !op) return reply.code(404).send();
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const stream = query.get('stream') ?? 'output';
    const ua = req.headers['user-agent'];
    const outcome = await runCall(core, {
      service: SSM,
      op,
      signed: { method: 'GET', path, query: q < 0 ? '' : url.slice(q + 1), headers: req.headers, body: Buffer.alloc(0) },
      sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      userAgent: typeof ua === 'string' ? ua : '',
      secureTransport: 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted),
      decodeInput: () => ({ SessionId: m[1] }),
    });
    if ('error' in outcome) {
      const e = outcome.error;
      return reply.code(e.status).header('content-type', 'application/json').send({ __type: e.code, message: e.message });
    }
    const out = outcome.output as { Events: { Stream: string; Data: Buffer }[] };
    const body = Buffer.concat(out.Events.filter((e) => e.Stream === stream).map((e) => e.Data));
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send(body);
  });
}
