import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { InventoryMessage, OutputMessage, PatchReportMessage, ReplyMessage } from '@capstan/wire';

type Outgoing = ReplyMessage | OutputMessage | InventoryMessage | PatchReportMessage;

/** The most a message is handed to the channel in at once. */
export const PIECE_BYTES = 64 * 1024;
/** Arrays longer than this (a patch report's records) are serialised this many elements at a time. */
const BATCH = 200;

/** Sends one piece of a message, in order; `last` ends the message. The piece may be reused once it returns. */
export type SendPiece = (piece: Buffer, last: boolean) => void;

/**
 * Replies and output waiting for the server's acknowledgement, one file each, so they survive
 * the agent's own restart. Sent in the order they were made; each is deleted once acknowledged.
 *
 * A message is handed to the channel in pieces of at most `PIECE_BYTES` (one WebSocket fragment
 * each). A patch report runs to a megabyte of JSON: it is written to its file a batch of records
 * at a time and sent from the file a piece at a time, so neither the whole JSON text nor its bytes
 * are ever held, each of which would add that megabyte to the agent's peak (and the client's
 * masking copies a frame, so a whole-message frame would add another).
 */
export class Outbox {
  private readonly dir: string;
  private seq: number;
  private send: SendPiece | undefined;
  /** replyId → file name, so an acknowledgement costs no directory scan. */
  private readonly files = new Map<string, string>();
  /** When each message was last sent: one the server has not acknowledged in a while goes again. */
  private readonly sentAt = new Map<string, number>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'outbox');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const names = this.names();
    this.seq = names.length ? Number(names[names.length - 1]!.split('-')[0]) : 0;
    for (const n of names) this.files.set(n.slice(n.indexOf('-') + 1, -'.json'.length), n);
  }

  private names(): string[] {
    return readdirSync(this.dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
  }

  /** Persists the message, then sends it if the channel is open. */
  put(m: Omit<ReplyMessage, 'replyId'> | Omit<OutputMessage, 'replyId'> | Omit<InventoryMessage, 'replyId'> | Omit<PatchReportMessage, 'replyId'>): void {
    const replyId = randomUUID();
    const name = `${String(++this.seq).padStart(12, '0')}-${replyId}.json`;
    const path = join(this.dir, name);
    const message = { ...m, replyId } as Outgoing;
    // Most messages are small: one text, written and sent as it is.
    const bytes = longArray(message) === undefined ? Buffer.from(JSON.stringify(message)) : undefined;
    if (bytes) writeFileSync(`${path}.tmp`, bytes, { mode: 0o600 });
    else writeJson(`${path}.tmp`, message);
    renameSync(`${path}.tmp`, path);
    this.files.set(replyId, name);
    if (this.send) {
      this.sentAt.set(replyId, Date.now());
      if (bytes) sendBytes(bytes, this.send);
      else sendFile(path, this.send);
    }
  }

  acked(replyId: string): void {
    const name = this.files.get(replyId);
    if (!name) return;
    this.files.delete(replyId);
    this.sentAt.delete(replyId);
    rmSync(join(this.dir, name), { force: true });
  }

  /** A channel opened: everything not yet acknowledged goes again, in order. */
  attach(send: SendPiece): number {
    this.send = send;
    const names = this.names();
    const now = Date.now();
    for (const n of names) {
      try {
        sendFile(join(this.dir, n), send);
        this.sentAt.set(n.slice(n.indexOf('-') + 1, -'.json'.length), now);
      } catch {
        // acknowledged and deleted meanwhile
      }
    }
    return names.length;
  }

  /**
   * Sends again, in order, what the server has not acknowledged for `ageMs`: a server that failed
   * to store a message does not acknowledge it, and the channel may stay up long after.
   */
  resendOlderThan(ageMs: number): number {
    if (!this.send) return 0;
    const now = Date.now();
    let n = 0;
    for (const [replyId, name] of [...this.files].sort((a, b) => a[1].localeCompare(b[1]))) {
      if (now - (this.sentAt.get(replyId) ?? 0) < ageMs) continue;
      try {
        sendFile(join(this.dir, name), this.send);
        this.sentAt.set(replyId, now);
        n++;
      } catch {
        // acknowledged and deleted meanwhile
      }
    }
    return n;
  }

  detach(): void {
    this.send = undefined;
  }

  get size(): number {
    return this.files.size;
  }
}

/** The member holding a long array (a patch report's records), if the message has one. */
function longArray(m: Outgoing): string | undefined {
  const fields = m as unknown as Record<string, unknown>;
  return Object.keys(fields).find((k) => Array.isArray(fields[k]) && (fields[k] as unknown[]).length > BATCH);
}

/** The JSON text of a message in pieces whose concatenation is `JSON.stringify(m)`: its long array a batch of elements per piece. */
function* jsonPieces(m: Outgoing, long: string): Generator<string> {
  const fields = m as unknown as Record<string, unknown>;
  const items = fields[long] as unknown[];
  // A string no message contains stands in for the array, to split the rest of the text around it.
  const mark = `\u0000${randomUUID()}`;
  const [head, tail] = JSON.stringify({ ...fields, [long]: mark }).split(JSON.stringify(mark));
  yield `${head}[`;
  for (let i = 0; i < items.length; i += BATCH) yield `${i ? ',' : ''}${JSON.stringify(items.slice(i, i + BATCH)).slice(1, -1)}`;
  yield `]${tail}`;
}

function writeJson(path: string, m: Outgoing): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    // Written as strings: Node converts each in a native buffer it frees at once, where a Buffer
    // per piece would stay allocated until the next garbage collection.
    for (const piece of jsonPieces(m, longArray(m)!)) {
      if (writeSync(fd, piece) !== Buffer.byteLength(piece)) throw new Error(`${path}: short write`);
    }
  } finally {
    closeSync(fd);
  }
}

function sendBytes(bytes: Buffer, send: SendPiece): void {
  for (let at = 0; at < bytes.length; at += PIECE_BYTES) send(bytes.subarray(at, at + PIECE_BYTES), at + PIECE_BYTES >= bytes.length);
}

/**
 * A queued message from its file, a piece at a time through one buffer (throws when it is gone):
 * `send` must be done with a piece when it returns (the channel's WebSocket copies it to mask it).
 */
function sendFile(path: string, send: SendPiece): void {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(Math.min(PIECE_BYTES, size));
    for (let at = 0; at < size; ) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - at), at);
      if (n === 0) throw new Error(`${path} ended early`);
      at += n;
      send(buffer.subarray(0, n), at === size);
    }
  } finally {
    closeSync(fd);
  }
}
