import { ssm } from '../api/client';
import { isApiError } from '../api/errors';
import { browserOpener } from './socket';
import { ClientChannel, type OpenStreamSocket } from './wire';

interface SessionAnswer {
  SessionId?: string;
  TokenValue?: string;
  StreamUrl?: string;
}

export interface StartedShell {
  channel: ClientChannel;
  sessionId: string;
  /** TerminateSession, best effort. `keepalive` lets the request outlive a closing tab. */
  terminate: (opts?: { keepalive?: boolean }) => Promise<void>;
}

/**
 * The session client stops resuming on a DoesNotExistException by the error's name; the console's
 * errors carry the AWS code in `code` instead.
 */
function named(e: unknown): unknown {
  if (isApiError(e)) {
    const err = new Error(e.message);
    err.name = e.code;
    return err;
  }
  return e;
}

/**
 * StartSession through the console's call endpoint (the default document, SSM-SessionManagerRunShell),
 * then the stream socket from this browser; after a drop, ResumeSession gives the next token (and
 * the StreamUrl of the replica now relaying the session).
 */
export async function startShellSession(
  target: string,
  o: { openSocket?: OpenStreamSocket; log?: (line: string) => void; resumeWindowMs?: number } = {},
): Promise<StartedShell> {
  const started = await ssm<SessionAnswer>('StartSession', { Target: target });
  const { SessionId: sessionId, StreamUrl: streamUrl, TokenValue: tokenValue } = started;
  if (!sessionId || !streamUrl || !tokenValue) throw new Error('StartSession did not return a SessionId, StreamUrl and TokenValue.');
  const terminate = async (opts: { keepalive?: boolean } = {}) => {
    await ssm('TerminateSession', { SessionId: sessionId }, opts).catch(() => undefined);
  };
  const channel = new ClientChannel({
    sessionId,
    streamUrl,
    tokenValue,
    openSocket: o.openSocket ?? browserOpener(),
    resume: async () => {
      let r: SessionAnswer;
      try {
        r = await ssm<SessionAnswer>('ResumeSession', { SessionId: sessionId });
      } catch (e) {
        throw named(e);
      }
      return r.TokenValue ? { tokenValue: r.TokenValue, streamUrl: r.StreamUrl || streamUrl } : undefined;
    },
    ...(o.log ? { log: o.log } : {}),
    ...(o.resumeWindowMs !== undefined ? { resumeWindowMs: o.resumeWindowMs } : {}),
  });
  try {
    await channel.connect();
  } catch (e) {
    await terminate();
    throw new Error(`Session ${sessionId}: cannot open the stream: ${(e as Error).message}`);
  }
  return { channel, sessionId, terminate };
}
