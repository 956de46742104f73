import type { KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { answerChallenge } from '@capstan/wire';
import type { Identity } from '../state.js';
import { checkPin, tlsOptions } from '../trust.js';

export const SESSION_SOCKET_PATH = '/capstan/agent/v1/session/';

/** The server refused this node for the session (not its target, session gone): retrying cannot help. */
export class SessionSocketRefused extends Error {}

/**
 * Opens the agent's session socket (docs/session-protocol.md) under the same trust rules as the
 * control channel: verified TLS for anything but loopback and the certificate pin checked before
 * a word is said. Answers the challenge with the node key and resolves once the server says
 * `ready`; after that every frame is a binary AgentMessage.
 */
export function dialSessionSocket(identity: Identity, key: KeyObject, sessionId: string, timeoutMs = 15_000, base = identity.endpoint): Promise<WebSocket> {
  const url = `${base.replace(/\/+$/, '').replace(/^http/, 'ws')}${SESSION_SOCKET_PATH}${encodeURIComponent(sessionId)}`;
  return new Promise((resolve, reject) => {
    // An all-zero mask (the mask bit stays set, as RFC 6455 wants): masking guards browsers behind
    // caching proxies, not an agent, and doing it in JavaScript costs a third of a session's CPU.
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, generateMask: () => undefined, ...(url.startsWith('wss:') ? tlsOptions(identity.trust) : {}) });
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners('message');
      ws.terminate();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`session socket: no ready from the server within ${timeoutMs} ms`)), timeoutMs);
    ws.on('upgrade', (res) => {
      if (!url.startsWith('wss:')) return;
      try {
        checkPin(res.socket as TLSSocket, identity.trust);
      } catch (e) {
        fail(e as Error);
      }
    });
    ws.on('message', (data, isBinary) => {
      if (done) return;
      if (isBinary) return fail(new Error('session socket: binary frame before ready'));
      let m: { type?: string; nonce?: string; message?: string };
      try {
        m = JSON.parse(data.toString()) as typeof m;
      } catch {
        return fail(new Error('session socket: the server sent something that is not JSON'));
      }
      if (m.type === 'challenge' && typeof m.nonce === 'string') {
        ws.send(JSON.stringify({ type: 'hello', instanceId: identity.instanceId, signature: answerChallenge(m.nonce, identity.instanceId, key) }));
      } else if (m.type === 'ready') {
        done = true;
        clearTimeout(timer);
        ws.removeAllListeners('message');
        resolve(ws);
      } else if (m.type === 'error') {
        fail(new SessionSocketRefused(`session socket: ${m.message ?? 'refused by the server'}`));
      }
    });
    ws.on('error', (e) => fail(e));
    ws.on('unexpected-response', (_req, res) => fail(res.statusCode === 403 || res.statusCode === 404 || res.statusCode === 410 ? new SessionSocketRefused(`session socket: HTTP ${res.statusCode}`) : new Error(`session socket: HTTP ${res.statusCode}`)));
    ws.on('close', (code, why) => {
      const text = `session socket closed before ready (${code}${why.length ? ` ${why.toString()}` : ''})`;
      fail(code >= 4000 && code < 5000 ? new SessionSocketRefused(text) : new Error(text));
    });
  });
}
