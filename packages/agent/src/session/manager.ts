import type { KeyObject } from 'node:crypto';
import type WebSocket from 'ws';
import { SESSION_TYPES, type SessionTypeName } from '@capstan/wire/session';
import { AGENT_VERSION } from '../info.js';
import type { Identity } from '../state.js';
import { AgentDataChannel } from './data-channel.js';
import { startCommand } from './exec.js';
import { portTarget, startPort } from './port.js';
import { commandsOf, startShell } from './shell.js';
import { dialSessionSocket, SessionSocketRefused } from './socket.js';
import { checkEndpoint } from '../trust.js';
import { startFileCopy } from './file-copy.js';
import { CAPSTAN_FILE_COPY, SessionRefused, type AgentSessionType, type PluginContext, type SessionAck, type SessionEndMessage, type SessionPlugin, type SessionStartMessage } from './types.js';
import { resolveRunAs } from './user.js';

export interface SessionManagerOptions {
  identity: Identity;
  /** The node key, read when a session dials (a rotation may have replaced it). */
  key: () => KeyObject;
  log: (line: string) => void;
  /** Tests: another way to open the session socket. */
  dial?: (sessionId: string, base: string) => Promise<WebSocket>;
  handshakeTimeoutMs?: number;
}

const FIRST_DIAL_ATTEMPTS = 5;

/**
 * The agent's sessions: takes the control channel's `session` / `session-end` messages, answers
 * `session-ack`, and runs each session on its own socket (sessions outlive control-channel
 * reconnects).
 */
export class SessionManager {
  private readonly sessions = new Map<string, AgentDataChannel>();
  /** Where each session's socket is dialled: the relaying replica, which can change. */
  private readonly relays = new Map<string, string>();
  constructor(private readonly o: SessionManagerOptions) {}

  get active(): number {
    return this.sessions.size;
  }

  /** Handles a control-channel message; `reply` sends a JSON object back on the control channel. */
  handle(m: SessionStartMessage | SessionEndMessage, reply: (ack: SessionAck) => void): void {
    if (m.type === 'session-end') {
      this.sessions.get(m.sessionId)?.kill('the server ended the session');
      return;
    }
    const sessionId = typeof m.sessionId === 'string' ? m.sessionId : '';
    const refuse = (message: string) => {
      this.o.log(`session ${sessionId || '?'} refused: ${message}`);
      reply({ type: 'session-ack', sessionId, status: 'refused', message });
    };
    if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(sessionId)) return refuse('bad session id');
    if (m.move === true) return this.move(sessionId, m.url, refuse);
    if (this.sessions.has(sessionId)) return refuse('a session with this id is already running');
    if (!SESSION_TYPES.includes(m.sessionType as SessionTypeName) && m.sessionType !== CAPSTAN_FILE_COPY) return refuse(`unsupported session type ${JSON.stringify(m.sessionType)}`);
    const type = m.sessionType as AgentSessionType;
    if (m.kmsKeyId !== undefined && (typeof m.kmsKeyId !== 'string' || m.kmsKeyId.length > 2048)) return refuse('bad kmsKeyId');
    // The replica relaying the session; an agent talks to no server it would not register with.
    const base = typeof m.url === 'string' && m.url ? m.url : this.o.identity.endpoint;
    const wrong = this.unacceptableRelay(base);
    if (wrong) return refuse(wrong);
    // what can be checked now is refused now, so the caller hears it from StartSession's path
    try {
      if (type === 'Port') portTarget(m.properties);
      else resolveRunAs(m.runAsUser);
      if (type === 'InteractiveCommands' || type === 'NonInteractiveCommands') commandsOf(m.properties);
    } catch (e) {
      return refuse((e as Error).message);
    }
    this.relays.set(sessionId, base);
    const channel = new AgentDataChannel({
      sessionId,
      sessionType: type,
      properties: m.properties ?? null,
      agentVersion: AGENT_VERSION,
      log: this.o.log,
      ...(this.o.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: this.o.handshakeTimeoutMs } : {}),
      ...(m.kmsKeyId ? { kmsKeyId: m.kmsKeyId } : {}),
      dial: () => {
        const at = this.relays.get(sessionId) ?? base;
        return this.o.dial ? this.o.dial(sessionId, at) : dialSessionSocket(this.o.identity, this.o.key(), sessionId, undefined, at);
      },
      startPlugin: (ctx) => startPlugin(type, ctx, m),
    });
    this.sessions.set(sessionId, channel);
    void channel.done.then(() => {
      this.sessions.delete(sessionId);
      this.relays.delete(sessionId);
    });
    reply({ type: 'session-ack', sessionId, status: 'accepted' });
    this.o.log(`session ${sessionId} (${type}, ${m.documentName ?? 'no document'}) starting`);
    void this.open(channel);
  }

  /** Why a relay's address breaks the agent's trust rules (those of its registered endpoint), if it does. */
  private unacceptableRelay(url: string): string | undefined {
    try {
      checkEndpoint(url, this.o.identity.trust);
      return undefined;
    } catch (e) {
      return `the session's server address is not acceptable: ${(e as Error).message}`;
    }
  }

  /** Another replica took the session over: its next redial goes there. */
  private move(sessionId: string, url: unknown, refuse: (message: string) => void): void {
    if (!this.sessions.has(sessionId)) return refuse('no such session is running on this node');
    if (typeof url !== 'string' || !url) return refuse('a moved session needs the url of its new relay');
    const wrong = this.unacceptableRelay(url);
    if (wrong) return refuse(wrong);
    this.relays.set(sessionId, url);
    this.o.log(`session ${sessionId} is relayed by ${url} from now on`);
  }

  /** Dials with AWS's data-channel retries (5 attempts, 100 ms doubling). */
  private async open(channel: AgentDataChannel): Promise<void> {
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        await channel.start();
        return;
      } catch (e) {
        if (e instanceof SessionSocketRefused || attempt >= FIRST_DIAL_ATTEMPTS) {
          channel.kill(`cannot open the session socket: ${(e as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /** Ends every session (the agent is stopping). */
  stopAll(): void {
    for (const s of this.sessions.values()) s.kill('the agent is stopping');
  }
}

function startPlugin(type: AgentSessionType, ctx: PluginContext, m: SessionStartMessage): SessionPlugin {
  try {
    switch (type) {
      case 'Standard_Stream':
        return startShell(ctx, m);
      case 'InteractiveCommands':
        return startShell(ctx, m, commandsOf(m.properties));
      case 'NonInteractiveCommands':
        return startCommand(ctx, m);
      case 'Port':
        return startPort(ctx, m);
      case CAPSTAN_FILE_COPY:
        return startFileCopy(ctx, m);
    }
  } catch (e) {
    if (e instanceof SessionRefused) throw e;
    throw new Error(`cannot start the ${type} session: ${(e as Error).message}`);
  }
}

export { SessionRefused };
