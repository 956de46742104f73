import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InventoryMessage, OutputMessage, PatchReportMessage, ReplyMessage } from '@capstan/wire';

type Outgoing = ReplyMessage | OutputMessage | InventoryMessage | PatchReportMessage;

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
    const full = { ...m, replyId } as Outgoing;
    const text = JSON.stringify(full);
    const name = `${String(++this.seq).padStart(12, '0')}-${replyId}.json`;
    const path = join(this.dir, name);
    writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    this.files.set(replyId, name);
    if (this.send) {
      this.sentAt.set(replyId, Date.now());
      this.send(text);
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
  attach(send: (text: string) => void): number {
    this.send = send;
    const names = this.names();
    const now = Date.now();
    for (const n of names) {
      try {
        send(readFileSync(join(this.dir, n), 'utf8'));
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
        this.send(readFileSync(join(this.dir, name), 'utf8'));
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
