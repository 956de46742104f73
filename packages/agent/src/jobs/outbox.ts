import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutputMessage, ReplyMessage } from '@capstan/wire';

type Outgoing = ReplyMessage | OutputMessage;

/**
 * Replies and output waiting for the server's acknowledgement, one file each, so they survive
 * the agent's own restart. Sent in the order they were made; each is deleted once acknowledged.
 */
export class Outbox {
  private readonly dir: string;
  private seq: number;
  private send: ((text: string) => void) | undefined;
  /** replyId → file name, so an acknowledgement costs no directory scan. */
  private readonly files = new Map<string, string>();

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
  put(m: Omit<ReplyMessage, 'replyId'> | Omit<OutputMessage, 'replyId'>): void {
    const replyId = randomUUID();
    const full = { ...m, replyId } as Outgoing;
    const text = JSON.stringify(full);
    const name = `${String(++this.seq).padStart(12, '0')}-${replyId}.json`;
    const path = join(this.dir, name);
    writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    this.files.set(replyId, name);
    this.send?.(text);
  }

  acked(replyId: string): void {
    const name = this.files.get(replyId);
    if (!name) return;
    this.files.delete(replyId);
    rmSync(join(this.dir, name), { force: true });
  }

  /** A channel opened: everything not yet acknowledged goes again, in order. */
  attach(send: (text: string) => void): number {
    this.send = send;
    const names = this.names();
    for (const n of names) {
      try {
        send(readFileSync(join(this.dir, n), 'utf8'));
      } catch {
        // acknowledged and deleted meanwhile
      }
    }
    return names.length;
  }

  detach(): void {
    this.send = undefined;
  }

  get size(): number {
    return this.files.size;
  }
}
