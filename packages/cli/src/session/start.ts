import { GenerateDataKeyCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { ResumeSessionCommand, StartSessionCommand, TerminateSessionCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { SessionCipher } from '@capstan/wire';
import { DATA_KEY_BYTES, type ClientKms } from '@capstan/wire/session';
import { nodeClientChannel, type ClientChannel } from './channel.js';

export interface StartedSession {
  channel: ClientChannel;
  sessionId: string;
  /** Where the stream is relayed (the replica that started the session). */
  streamUrl: string;
  /** TerminateSession, best effort (the user ended it). */
  terminate: () => Promise<void>;
}

/** `name=value` pairs (a name given again adds to its list) into StartSession's Parameters. */
export function parseSessionParameters(list: string[] = []): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`--parameters ${JSON.stringify(item)}: expected name=value`);
    (out[item.slice(0, i)] ??= []).push(item.slice(i + 1));
  }
  return out;
}

/** KMS as the SSM client reaches it (same endpoint, region and credentials): the data key of an encrypted session is the user's to make. */
export function kmsLike(ssm: SSMClient): KMSClient {
  const c = ssm.config as unknown as { region: unknown; credentials: unknown; endpoint?: unknown; isCustomEndpoint?: boolean; maxAttempts?: unknown };
  return new KMSClient({ region: c.region, credentials: c.credentials, maxAttempts: c.maxAttempts, ...(c.isCustomEndpoint && c.endpoint ? { endpoint: c.endpoint } : {}) } as KMSClientConfig);
}

/** kms:GenerateDataKey for the session (64 bytes, bound to the session and its target), as AWS's plugin calls it. */
export function sessionKms(kms: KMSClient): ClientKms {
  return {
    async generateDataKey(keyId, context) {
      const out = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: DATA_KEY_BYTES, EncryptionContext: context }));
      if (!out.CiphertextBlob || !out.Plaintext) throw new Error('GenerateDataKey returned no key');
      return { ciphertextBlob: out.CiphertextBlob, cipher: new SessionCipher(out.Plaintext, 'client') };
    },
  };
}

/**
 * StartSession, then the stream socket with its token; after a drop ResumeSession gives the
 * next token and the channel reattaches.
 */
export async function startSession(
  ssm: SSMClient,
  input: { target: string; documentName?: string; parameters?: Record<string, string[]>; reason?: string },
  o: { log?: (line: string) => void; resumeWindowMs?: number; kms?: KMSClient; keepaliveMs?: number } = {},
): Promise<StartedSession> {
  const started = await ssm.send(
    new StartSessionCommand({
      Target: input.target,
      ...(input.documentName ? { DocumentName: input.documentName } : {}),
      ...(input.parameters && Object.keys(input.parameters).length ? { Parameters: input.parameters } : {}),
      ...(input.reason ? { Reason: input.reason } : {}),
    }),
  );
  const sessionId = started.SessionId;
  if (!sessionId || !started.StreamUrl || !started.TokenValue) throw new Error('StartSession did not return a SessionId, StreamUrl and TokenValue');
  const channel = nodeClientChannel({
    sessionId,
    streamUrl: started.StreamUrl,
    tokenValue: started.TokenValue,
    // The session may have moved to another replica (its relaying one died): the new StreamUrl goes with the token.
    resume: async () => {
      const r = await ssm.send(new ResumeSessionCommand({ SessionId: sessionId }));
      return r.TokenValue ? { tokenValue: r.TokenValue, streamUrl: r.StreamUrl ?? started.StreamUrl! } : undefined;
    },
    ...(o.log ? { log: o.log } : {}),
    ...(o.resumeWindowMs !== undefined ? { resumeWindowMs: o.resumeWindowMs } : {}),
    ...(o.keepaliveMs ? { keepaliveMs: o.keepaliveMs } : {}),
    kms: sessionKms(o.kms ?? kmsLike(ssm)),
    targetId: input.target,
  });
  try {
    await channel.connect();
  } catch (e) {
    await ssm.send(new TerminateSessionCommand({ SessionId: sessionId })).catch(() => undefined);
    throw new Error(`session ${sessionId}: cannot open the stream: ${(e as Error).message}`);
  }
  return {
    channel,
    sessionId,
    streamUrl: started.StreamUrl,
    terminate: async () => {
      await ssm.send(new TerminateSessionCommand({ SessionId: sessionId })).catch(() => undefined);
    },
  };
}
