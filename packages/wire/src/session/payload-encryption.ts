/**
 * End-to-end encryption of a session's data channel under a KMS data key, as AWS's agent and
 * session-manager-plugin do it (docs/session-framing.md, "KMS encryption"): which payloads are
 * sealed in which direction, the encryption context the data key is bound to, and how a Capstan
 * agent, which has no KMS credentials, has the server open the key over its session socket.
 * The cipher itself is `SessionCipher` (kms-encryption.ts, Node only).
 */
import { randomUUID } from 'node:crypto';
import { PayloadType } from './agent-message.js';
import type { PayloadTransform } from './reliable.js';

/** kms:GenerateDataKey NumberOfBytes: two AES-256 keys, one per direction. */
export const DATA_KEY_BYTES = 64;
export const CONTEXT_SESSION_ID = 'aws:ssm:SessionId';
export const CONTEXT_TARGET_ID = 'aws:ssm:TargetId';
/** HandshakeComplete's CustomerMessage on an encrypted session (AWS's plugin prints it). */
export const ENCRYPTED_SESSION_MESSAGE = 'This session is encrypted using AWS KMS.';
/** Bytes of the challenge the agent seals after the handshake response, to prove both ends hold the key. */
export const CHALLENGE_BYTES = 64;

export type EncryptionEnd = 'agent' | 'client';

/** Payload types sealed by each sender: AWS's plugin opens these from the agent and seals only Output itself. */
export const SEALED_BY: Record<EncryptionEnd, readonly number[]> = {
  agent: [PayloadType.Output, PayloadType.StdErr, PayloadType.ExitCode],
  client: [PayloadType.Output],
};

export interface PayloadCipher {
  encrypt(plaintext: Uint8Array): Buffer;
  /** Throws when the payload was altered or sealed under another key. */
  decrypt(sealed: Uint8Array): Buffer;
}

/** The encryption context both ends bind the data key to (AWS's keys, AWS's values). */
export function sessionEncryptionContext(sessionId: string, targetId: string): Record<string, string> {
  return { [CONTEXT_SESSION_ID]: sessionId, [CONTEXT_TARGET_ID]: targetId };
}

/**
 * One end's payload encryption: off until `enable`, then seals what this end sends (as a
 * ReliableStream transform, frame by frame, so resends carry the same bytes) and opens what
 * the other end sealed.
 */
export class PayloadEncryption {
  private cipher: PayloadCipher | undefined;
  private readonly seals: ReadonlySet<number>;
  private readonly opens: ReadonlySet<number>;
  /** Give this to the ReliableStream: it only seals once enabled. */
  readonly transform: PayloadTransform;

  constructor(readonly end: EncryptionEnd) {
    this.seals = new Set(SEALED_BY[end]);
    this.opens = new Set(SEALED_BY[end === 'agent' ? 'client' : 'agent']);
    this.transform = {
      outgoing: (type, payload) => (this.cipher && this.seals.has(type) ? this.cipher.encrypt(payload) : payload),
      transforms: (type) => this.cipher !== undefined && this.seals.has(type),
    };
  }

  enable(cipher: PayloadCipher): void {
    this.cipher = cipher;
  }

  get enabled(): boolean {
    return this.cipher !== undefined;
  }

  /** Does the other end seal this payload type? */
  sealedByPeer(type: number): boolean {
    return this.cipher !== undefined && this.opens.has(type);
  }

  /** A payload from the other end, opened if it is of a sealed type; throws if it does not open. */
  open(type: number, payload: Buffer): Buffer {
    return this.sealedByPeer(type) ? this.cipher!.decrypt(payload) : payload;
  }

  seal(plaintext: Uint8Array): Buffer {
    if (!this.cipher) throw new Error('payload encryption is not enabled');
    return this.cipher.encrypt(plaintext);
  }

  unseal(sealed: Uint8Array): Buffer {
    if (!this.cipher) throw new Error('payload encryption is not enabled');
    return this.cipher.decrypt(sealed);
  }
}

/** What a client needs for KMS sessions: kms:GenerateDataKey with the user's own credentials. */
export interface ClientKms {
  /** A 64-byte data key under `keyId` bound to `context`; rejects with KMS's error (access denied, disabled key…). */
  generateDataKey(keyId: string, context: Record<string, string>): Promise<{ ciphertextBlob: Uint8Array; cipher: PayloadCipher }>;
}

// ---------------------------------------------------------------------------------------------
// The agent's data-key request, as JSON text frames on its (authenticated) session socket.

/** agent → server */
export interface DataKeyRequest {
  type: 'kms-decrypt';
  requestId: string;
  /** base64 of the KMSCipherTextKey the client sent in its HandshakeResponse */
  ciphertextBlob: string;
}

/** server → agent */
export type DataKeyReply = { type: 'kms-data-key'; requestId: string; plaintext: string } | { type: 'kms-error'; requestId: string; message: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64.test(s);
}

/** A text frame from the agent as a data-key request, or undefined when it is something else. */
export function parseDataKeyRequest(text: string): DataKeyRequest | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (m === null || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (o['type'] !== 'kms-decrypt' || typeof o['requestId'] !== 'string' || typeof o['ciphertextBlob'] !== 'string') return undefined;
  return { type: 'kms-decrypt', requestId: o['requestId'].slice(0, 64), ciphertextBlob: o['ciphertextBlob'] };
}

/**
 * The agent's side of data-key requests: one outstanding request at a time, sent again on a new
 * socket after a drop, answered by `receive` or refused by a timeout.
 */
export class DataKeyRequests {
  private pending: { id: string; text: string; resolve: (key: Buffer) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(private readonly send: (text: string) => boolean) {}

  request(ciphertextBlob: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.pending) return Promise.reject(new Error('a data key request is already outstanding'));
    const id = randomUUID();
    const req: DataKeyRequest = { type: 'kms-decrypt', requestId: id, ciphertextBlob: Buffer.from(ciphertextBlob).toString('base64') };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error(`the server did not open the session's data key within ${timeoutMs / 1000} seconds`)), timeoutMs);
      this.pending = { id, text: JSON.stringify(req), resolve, reject, timer };
      this.send(this.pending.text);
    });
  }

  /** The socket was replaced: ask again there. */
  resend(): void {
    if (this.pending) this.send(this.pending.text);
  }

  /** A text frame from the server; true if it answered a request. */
  receive(text: string): boolean {
    let m: Partial<DataKeyReply> & Record<string, unknown>;
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return false;
    }
    if (!m || typeof m.requestId !== 'string' || !this.pending || m.requestId !== this.pending.id) return false;
    if (m.type === 'kms-data-key' && typeof m.plaintext === 'string' && isBase64(m.plaintext)) {
      this.settle(m.requestId, Buffer.from(m.plaintext, 'base64'));
      return true;
    }
    if (m.type === 'kms-error') {
      this.settle(m.requestId, new Error(typeof m.message === 'string' && m.message ? m.message : 'the server refused to open the data key'));
      return true;
    }
    return false;
  }

  /** Gives up on the outstanding request (the session is ending). */
  cancel(why: string): void {
    if (this.pending) this.settle(this.pending.id, new Error(why));
  }

  private settle(id: string, outcome: Buffer | Error): void {
    const p = this.pending;
    if (!p || p.id !== id) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }
}
