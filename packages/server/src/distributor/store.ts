import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');
export const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Package files by content: each file is named by its SHA-256, checked when it is put, so what
 * is stored under a name is always what that name says.
 */
export interface PackageStore {
  /** Stores `data` if it is what `sha256` says; false (nothing stored) when it is not. */
  put(sha256: string, data: Buffer): Promise<boolean>;
  /** The stored file's size, or undefined when it is not stored. */
  size(sha256: string): Promise<number | undefined>;
  /** The stored file (undefined when it is gone). */
  read(sha256: string): Promise<Readable | Buffer | undefined>;
  /** Where the files are, for the server's log. */
  readonly where: string;
}

/** A directory: each file written under a temporary name and renamed into place, so a reader never sees half of one. */
export class DirectoryStore implements PackageStore {
  private ready: Promise<void> | undefined;
  constructor(readonly dir: string) {}

  get where(): string {
    return this.dir;
  }

  private prepare(): Promise<void> {
    // Owner-only: the files are a tenant's software, for its nodes alone.
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => chmod(this.dir, 0o700));
    return this.ready;
  }

  private path(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256.slice(0, 80)}`);
    return join(this.dir, sha256);
  }

  async put(sha256: string, data: Buffer): Promise<boolean> {
    if (sha256Of(data) !== sha256) return false;
    await this.prepare();
    if ((await this.size(sha256)) === data.length) return true;
    const part = join(this.dir, `.${sha256}.${randomBytes(4).toString('hex')}.part`);
    try {
      await writeFile(part, data, { mode: 0o600 });
      await rename(part, this.path(sha256));
    } finally {
      await rm(part, { force: true });
    }
    return true;
  }

  async size(sha256: string): Promise<number | undefined> {
    const s = await stat(this.path(sha256)).catch(() => undefined);
    return s?.isFile() ? s.size : undefined;
  }

  async read(sha256: string): Promise<ReadStream | undefined> {
    return (await this.size(sha256)) === undefined ? undefined : createReadStream(this.path(sha256));
  }
}
